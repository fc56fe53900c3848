// The settings (R1-R4) as the guide words them: sources, channels, dispatch time, notifications,
// and "Activate" at the end of the form, which saves unsaved edits first (one click, never the old
// settings silently). Errors go next to their fields by element id.
import { ApiError } from "../api.js";
import { h, show } from "../dom.js";
import { formatMoment, t } from "../i18n.js";
import { alertBox } from "../widgets.js";

// The settings' fields a user edits (active/activated_at change only by activation).
const EDITABLE = ["sources", "channels", "timing", "notify_email", "notify_phone", "language", "consumer_einvoicing"];
// An API field path (`channels.0`, `notify_phone`) -> the id of the element that shows its error;
// a path's longest known prefix decides, anything else goes above the form.
const ERROR_ELEMENTS = Object.fromEntries(EDITABLE.map((field) => [field, `error-${field}`]));
const FORM_ERROR = "error-form";

export function errorElementId(field) {
  const parts = String(field).split(".");
  for (let length = parts.length; length > 0; length -= 1) {
    const id = ERROR_ELEMENTS[parts.slice(0, length).join(".")];
    if (id) return id;
  }
  return FORM_ERROR;
}

/** [[element id, text]] of an error: each issue next to its field, anything else above the form. */
function placedProblems(error) {
  if (!(error instanceof ApiError)) return [[FORM_ERROR, t("error")]];
  if (error.issues.length === 0) return [[FORM_ERROR, error.message]];
  return error.issues.map((issue) => [errorElementId(issue.field), issue.message]);
}

function errorLine(name) {
  return h("p", { class: "field-error", id: `error-${name}` });
}

function choices(name, heading, values, chosen, type, label) {
  return h("fieldset", { id: `field-${name}`, "aria-describedby": `error-${name}` },
    h("legend", {}, heading),
    values.map((value) => h("label", {},
      h("input", { type, name, value, checked: chosen.includes(value) }), ` ${label(value)}`)),
    errorLine(name));
}

function input(name, type, value) {
  return h("div", { class: "field", id: `field-${name}` },
    h("label", { for: `input-${name}` }, t(`settings.${name}`)),
    h("input", { id: `input-${name}`, name, type, value: value ?? "", "aria-describedby": `error-${name}` }),
    errorLine(name));
}

function editable(settings) {
  const picked = Object.fromEntries(EDITABLE.map((field) => [field, settings[field] ?? null]));
  return JSON.stringify({ ...picked, sources: [...picked.sources].sort(), channels: [...picked.channels].sort() });
}

export async function settingsView(context, result = "") {
  const { api, user, enums } = context;
  let settings;
  try {
    settings = await api.settings(user.tenantId);
  } catch (error) {
    show(alertBox(error));
    return;
  }
  const language = h("select", { id: "input-language", name: "language", "aria-describedby": "error-language" },
    enums.languages.map((code) => h("option", { value: code, selected: code === settings.language }, t(`language.${code}`))));
  const activation = settings.active
    ? h("button", { type: "button", id: "deactivate" }, t("deactivate"))
    : h("button", { type: "button", id: "activate", class: "primary" }, t("activate"));
  const form = h("form", { novalidate: true },
    h("p", { class: "field-error", id: FORM_ERROR, role: "alert" }),
    choices("sources", t("settings.sources"), enums.sources, settings.sources, "checkbox", (v) => t(`source.${v}`)),
    choices("channels", t("settings.channels"), enums.channels, settings.channels, "checkbox", (v) => t(`channel.${v}`)),
    choices("timing", t("settings.timing"), enums.timings, [settings.timing], "radio", (v) => t(`timing.${v}`)),
    h("div", { class: "field", id: "field-consumer_einvoicing" },
      h("label", {}, h("input", {
        type: "checkbox", id: "input-consumer_einvoicing", name: "consumer_einvoicing",
        checked: settings.consumer_einvoicing, "aria-describedby": "error-consumer_einvoicing",
      }), ` ${t("settings.consumer_einvoicing")}`),
      errorLine("consumer_einvoicing")),
    input("notify_email", "email", settings.notify_email),
    input("notify_phone", "tel", settings.notify_phone),
    h("div", { class: "field", id: "field-language" },
      h("label", { for: "input-language" }, t("settings.language")), language, errorLine("language")),
    h("div", { class: "form-buttons" },
      h("button", { type: "submit", id: "save" }, t("save")), activation));
  const state = h("p", { id: "activation-state" },
    !settings.active ? t("inactive")
      : settings.activated_at ? t("activeSince", { at: formatMoment(settings.activated_at) }) : t("active"));
  const status = h("p", { role: "status", id: "result" }, result);

  const showProblems = (error) => {
    for (const element of form.querySelectorAll(".field-error")) element.textContent = "";
    for (const element of form.querySelectorAll(".invalid")) element.classList.remove("invalid");
    for (const [id, text] of placedProblems(error)) {
      const target = document.getElementById(id);
      target.textContent = target.textContent ? `${target.textContent}; ${text}` : text;
      target.closest(".field, fieldset")?.classList.add("invalid");
    }
  };
  // What the form says now; the phone as typed (the server normalizes it to E.164).
  const formSettings = () => {
    const data = new FormData(form);
    const text = (name) => (data.get(name) || "").trim() || null;
    return {
      sources: data.getAll("sources"), channels: data.getAll("channels"), timing: data.get("timing"),
      notify_email: text("notify_email"), notify_phone: text("notify_phone"),
      language: data.get("language"), consumer_einvoicing: data.get("consumer_einvoicing") !== null,
    };
  };
  const save = (edited) => api.saveSettings(user.tenantId, { ...settings, ...edited });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await save(formSettings());
      await settingsView(context, t("saved"));
    } catch (error) {
      showProblems(error);
    }
  });
  activation.addEventListener("click", async () => {
    const action = settings.active ? "deactivate" : "activate";
    const edited = formSettings();
    const unsaved = action === "activate" && editable(edited) !== editable(settings);
    try {
      if (unsaved) await save(edited); // refused: its errors show and nothing is activated
      await api.activation(user.tenantId, action);
      await settingsView(context, t(unsaved ? "savedAndActivated" : { activate: "activated", deactivate: "deactivated" }[action]));
    } catch (error) {
      showProblems(error);
    }
  });
  show(h("h2", {}, t("settings")), state, status, form);
}
