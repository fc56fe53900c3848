// Pieces more than one view shows: an error box, a state badge, a message with its explanation.
import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

export function alertBox(error) {
  const message = error instanceof ApiError ? error.message : t("error");
  return h("p", { class: "error", role: "alert" }, message);
}

export function badge(state) {
  return h("span", { class: `badge badge-${state.toLowerCase()}` }, t(`state.${state}`));
}

// Tooltip: shown while the pointer rests on the message or it has keyboard focus; Escape closes it.
let tooltipCount = 0;

export function messageWithTooltip(message, details) {
  if (!details) return h("span", { class: "message" }, message);
  const id = `tooltip-${(tooltipCount += 1)}`;
  const tooltip = h("span", { class: "tooltip", role: "tooltip", id, hidden: true }, details);
  const trigger = h("button", { type: "button", class: "message has-details", "aria-describedby": id }, message);
  const open = () => { tooltip.hidden = false; };
  const close = () => { tooltip.hidden = true; };
  trigger.addEventListener("mouseenter", open);
  trigger.addEventListener("mouseleave", close);
  trigger.addEventListener("focus", open);
  trigger.addEventListener("blur", close);
  trigger.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  return h("span", { class: "message-cell" }, trigger, tooltip);
}
