// The open-invoices list (R19, R28): each invoice's state, its message with the explanation, and
// what the next night will do with it.
import { h, show } from "../dom.js";
import { formatAmount, formatDate, t } from "../i18n.js";
import { alertBox, badge, messageWithTooltip } from "../widgets.js";

const OPTIONAL_COLUMNS = [["customer", "customer_name"], ["dates", "invoice_date"], ["amount", "total"]];
let listFilter = "";

/** An unsent invoice shows its own channel, where dispatch starts; a sent one the channel it went by
 * (an invoice whose stored document is invalid comes without its own channel). */
function shownChannel(entry) {
  return entry.status === "UNSENT" ? (entry.delivery_channel ?? entry.channel) : entry.channel;
}

function invoiceRow(entry) {
  const link = h("a", { href: `#/invoice/${encodeURIComponent(entry.invoice_id)}` }, entry.number ?? entry.invoice_id);
  const dates = [entry.invoice_date, entry.due_date].filter(Boolean).map(formatDate).join(" – ");
  const channel = shownChannel(entry);
  return h("tr", { "data-invoice": entry.invoice_id },
    h("td", {}, link),
    h("td", { class: "col-customer" }, entry.customer_name ?? ""),
    h("td", { class: "col-dates" }, dates),
    h("td", { class: "amount col-amount" }, formatAmount(entry.total, entry.currency ?? "EUR")),
    h("td", { class: "col-channel" }, channel ? t(`channel.${channel}`) : ""),
    h("td", {}, badge(entry.display_state)),
    h("td", {},
      entry.message ? messageWithTooltip(entry.message, entry.details) : null,
      entry.preview ? h("div", { class: "preview" }, `${t("tonight")}: ${entry.preview.message}`) : null),
  );
}

export async function invoicesView({ api, user, enums }) {
  const filter = h("select", { id: "state-filter" },
    h("option", { value: "" }, t("all")),
    enums.states.map((state) => h("option", { value: state, selected: state === listFilter }, t(`state.${state}`))));
  filter.addEventListener("change", () => { listFilter = filter.value; invoicesView({ api, user, enums }); });
  const body = h("tbody");
  const table = h("table", { class: "invoices" },
    h("thead", {}, h("tr", {}, ["number", "customer", "dates", "amount", "channel", "state", "message"]
      .map((key) => h("th", { scope: "col", class: `col-${key}` }, t(key))))),
    body);
  const status = h("p", { role: "status" }, t("loading"));
  const more = h("button", { type: "button", hidden: true }, t("more"));
  show(h("h2", {}, t("invoices")),
    h("label", { class: "filter" }, `${t("filter")} `, filter), table, status, more);
  async function load(cursor) {
    try {
      const page = await api.invoices(user.tenantId, listFilter, cursor);
      body.append(...page.invoices.map(invoiceRow));
      // Customer, dates and amount are optional in the API's entries: no empty columns without them.
      for (const [column, field] of OPTIONAL_COLUMNS) {
        const shown = table.dataset[column] === "shown" || page.invoices.some((entry) => entry[field]);
        table.dataset[column] = shown ? "shown" : "absent";
      }
      status.textContent = body.children.length ? "" : t("none");
      more.hidden = !page.next_cursor;
      more.onclick = () => load(page.next_cursor);
    } catch (error) {
      status.replaceWith(alertBox(error));
    }
  }
  await load(null);
}
