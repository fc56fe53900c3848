// One invoice (R19-R22): its message, explanation and history, and the actions the server allows.
// A history entry's route (Finvoice, Peppol BIS 3, ...) comes named in the reader's language by the API.
import { h, show } from "../dom.js";
import { formatDate, formatMoment, t } from "../i18n.js";
import { alertBox, badge } from "../widgets.js";

function confirmation(question, onConfirm) {
  const panel = h("div", { class: "confirm", role: "alertdialog", "aria-label": question },
    h("p", {}, question),
    h("button", { type: "button", class: "primary", onclick: () => onConfirm() }, t("confirm")),
    h("button", { type: "button", onclick: () => panel.remove() }, t("cancel")));
  return panel;
}

export async function invoiceView(context, invoiceId, result = "") {
  const { api, user, enums } = context;
  let entry;
  try {
    entry = await api.invoice(user.tenantId, invoiceId);
  } catch (error) {
    show(alertBox(error));
    return;
  }
  const resultLine = h("p", { role: "status", id: "result" }, result);
  const actions = h("div", { class: "actions" });
  const act = async (action, body, describe) => {
    try {
      const answer = await api.invoiceAction(user.tenantId, invoiceId, action, body);
      await invoiceView(context, invoiceId, describe(answer));
    } catch (error) {
      actions.querySelector(".confirm")?.remove();
      actions.append(alertBox(error));
    }
  };
  const ask = (question, onConfirm) => {
    actions.querySelector(".confirm")?.remove();
    const panel = confirmation(question, onConfirm);
    actions.append(panel);
    panel.querySelector("button.primary").focus();
  };
  // The server's own rule (its action routes enforce the same one): no second copy of it here.
  const allowed = entry.actions;
  if (allowed.includes("remove_auto")) {
    actions.append(h("button", {
      type: "button", id: "remove-auto",
      onclick: () => ask(t("confirmRemove", { id: invoiceId }), () => act("remove-auto", undefined, () => t("removed"))),
    }, t("removeAuto")));
  }
  if (allowed.includes("restore_auto")) {
    actions.append(h("button", {
      type: "button", id: "restore-auto",
      onclick: () => ask(t("confirmRestore", { id: invoiceId }), () => act("restore-auto", undefined, () => t("restored"))),
    }, t("restoreAuto")));
  }
  if (allowed.includes("send")) {
    const channel = h("select", { id: "send-channel" },
      h("option", { value: "" }, t("chain")), enums.channels.map((c) => h("option", { value: c }, t(`channel.${c}`))));
    actions.append(h("label", {}, `${t("sendBy")} `, channel), h("button", {
      type: "button", id: "send-now",
      onclick: () => {
        const chosen = channel.value;
        ask(t("confirmSend", { id: invoiceId, channel: chosen ? t(`channel.${chosen}`) : t("chain") }),
          () => act("send", chosen ? { channel: chosen } : {}, (sent) => t("sent", { channel: t(`channel.${sent.channel}`) })));
      },
    }, t("sendNow")));
  }
  const history = [...entry.history].sort((a, b) => a.at.localeCompare(b.at));
  show(
    h("p", {}, h("a", { href: "#/invoices" }, t("back"))),
    h("h2", {}, `${t("number")} ${entry.number ?? entry.invoice_id} `, badge(entry.display_state)),
    h("h3", {}, t("section")),
    entry.message ? h("p", { class: "message" }, entry.message) : null,
    entry.details ? h("p", { class: "details" }, entry.details) : null,
    entry.preview ? h("p", { class: "preview" }, `${t("tonight")}: ${entry.preview.message}`) : null,
    entry.sent_on ? h("p", {}, `${t("sentOn")} ${formatDate(entry.sent_on)}`) : null,
    actions, resultLine,
    h("h3", {}, t("history")),
    h("ol", { class: "history" }, history.map((item) => h("li", { "data-event": item.event },
      h("time", { datetime: item.at }, formatMoment(item.at)), " ", t(`event.${item.event}`),
      item.channel ? ` (${[t(`channel.${item.channel}`), item.route_label].filter(Boolean).join(", ")})` : "",
      item.detail ? ` — ${item.detail}` : ""))),
  );
}
