// The tenant view (R28): open invoices with their automatic-dispatch messages, one invoice with its
// history and actions (R19, R20, R22), the settings with activation (R1-R4), and runs for a system user.
import { ApiError, client } from "./api.js";
import { completeSignIn, session, signIn, takeTokenFromFragment } from "./auth.js";
import { formatAmount, formatDate, formatMoment, LANGUAGES, setLanguage, t } from "./i18n.js";

const STATES = ["PENDING", "FAILED", "IGNORED", "REMOVED", "SENT"];
const CHANNELS = ["EINVOICE", "EMAIL", "PRINT"];
const SOURCES = ["CONTRACT_BILLING", "MANUAL", "REBILLING", "API"];
const TIMINGS = ["CREATION_DATE", "INVOICE_DATE"];
const LANGUAGE_KEY = "autodispatch.language";
const OPTIONAL_COLUMNS = [["customer", "customer_name"], ["dates", "invoice_date"], ["amount", "total"]];

let config = { apiBase: "/api" };
let api = null;
let user = null;
let listFilter = "";

/** A DOM element: text children are text nodes, so API text is never parsed as HTML. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

function show(...children) {
  const view = document.getElementById("view");
  view.replaceChildren(...children.filter((child) => child !== null && child !== undefined));
}

function alertBox(error) {
  const message = error instanceof ApiError ? error.message : t("error");
  return h("p", { class: "error", role: "alert" }, message);
}

function badge(state) {
  return h("span", { class: `badge badge-${state.toLowerCase()}` }, t(state));
}

// Tooltip: shown while the pointer rests on the message or it has keyboard focus; Escape closes it.
let tooltipCount = 0;

function messageWithTooltip(message, details) {
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

// Open invoices --------------------------------------------------------------------------------

function invoiceRow(entry) {
  const link = h("a", { href: `#/invoice/${encodeURIComponent(entry.invoice_id)}` }, entry.number ?? entry.invoice_id);
  const dates = [entry.invoice_date, entry.due_date].filter(Boolean).map(formatDate).join(" – ");
  return h("tr", { "data-invoice": entry.invoice_id },
    h("td", {}, link),
    h("td", { class: "col-customer" }, entry.customer_name ?? ""),
    h("td", { class: "col-dates" }, dates),
    h("td", { class: "amount col-amount" }, formatAmount(entry.total, entry.currency ?? "EUR")),
    h("td", {}, entry.channel ? t(entry.channel) : ""),
    h("td", {}, badge(entry.auto_dispatch)),
    h("td", {},
      entry.message ? messageWithTooltip(entry.message, entry.details) : null,
      entry.preview ? h("div", { class: "preview" }, `${t("tonight")}: ${entry.preview.message}`) : null),
  );
}

async function invoicesView() {
  const filter = h("select", { id: "state-filter" },
    h("option", { value: "" }, t("all")),
    STATES.map((state) => h("option", { value: state, selected: state === listFilter }, t(state))));
  filter.addEventListener("change", () => { listFilter = filter.value; invoicesView(); });
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

// One invoice ----------------------------------------------------------------------------------

function confirmation(question, onConfirm) {
  const panel = h("div", { class: "confirm", role: "alertdialog", "aria-label": question },
    h("p", {}, question),
    h("button", { type: "button", class: "primary", onclick: () => onConfirm() }, t("confirm")),
    h("button", { type: "button", onclick: () => panel.remove() }, t("cancel")));
  return panel;
}

async function invoiceView(invoiceId, result = "") {
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
      await invoiceView(invoiceId, describe(answer));
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
  if (entry.auto_dispatch === "PENDING") {
    actions.append(h("button", {
      type: "button", id: "remove-auto",
      onclick: () => ask(t("confirmRemove", { id: invoiceId }), () => act("remove-auto", undefined, () => t("removed"))),
    }, t("removeAuto")));
  }
  if (entry.status === "UNSENT" && entry.auto_dispatch !== "PENDING") {
    actions.append(h("button", {
      type: "button", id: "restore-auto",
      onclick: () => ask(t("confirmRestore", { id: invoiceId }), () => act("restore-auto", undefined, () => t("restored"))),
    }, t("restoreAuto")));
  }
  if (entry.status === "UNSENT") {
    const channel = h("select", { id: "send-channel" },
      h("option", { value: "" }, t("chain")), CHANNELS.map((c) => h("option", { value: c }, t(c))));
    actions.append(h("label", {}, `${t("sendBy")} `, channel), h("button", {
      type: "button", id: "send-now",
      onclick: () => {
        const chosen = channel.value;
        ask(t("confirmSend", { id: invoiceId, channel: chosen ? t(chosen) : t("chain") }),
          () => act("send", chosen ? { channel: chosen } : {}, (sent) => t("sent", { channel: t(sent.channel) })));
      },
    }, t("sendNow")));
  }
  const history = [...entry.history].sort((a, b) => a.at.localeCompare(b.at));
  show(
    h("p", {}, h("a", { href: "#/invoices" }, t("back"))),
    h("h2", {}, `${t("number")} ${entry.invoice_id} `, badge(entry.auto_dispatch)),
    entry.message ? h("p", { class: "message" }, entry.message) : null,
    entry.details ? h("p", { class: "details" }, entry.details) : null,
    entry.preview ? h("p", { class: "preview" }, `${t("tonight")}: ${entry.preview.message}`) : null,
    entry.sent_on ? h("p", {}, `${t("sentOn")} ${formatDate(entry.sent_on)}`) : null,
    actions, resultLine,
    h("h3", {}, t("history")),
    h("ol", { class: "history" }, history.map((item) => h("li", {},
      h("time", { datetime: item.at }, formatMoment(item.at)), " ", item.event,
      item.channel ? ` (${t(item.channel)})` : "", item.detail ? ` — ${item.detail}` : ""))),
  );
}

// Settings -------------------------------------------------------------------------------------

/** Where each problem of an error message belongs: a settings field, or the form as a whole. */
function fieldProblems(error) {
  // The API names each field of an R2 or validation error; anything else goes above the form.
  const problems = {};
  const add = (field, text) => { problems[field] = problems[field] ? `${problems[field]}; ${text}` : text; };
  if (!(error instanceof ApiError)) add("form", t("error"));
  else if (error.issues.length === 0) add("form", error.message);
  else for (const issue of error.issues) add(issue.field, issue.message);
  return problems;
}

function choices(name, values, chosen, type) {
  return h("fieldset", { id: `field-${name}`, "aria-describedby": `error-${name}` },
    h("legend", {}, t(name)),
    values.map((value) => h("label", {},
      h("input", { type, name, value, checked: chosen.includes(value) }), ` ${t(value)}`)),
    h("p", { class: "field-error", id: `error-${name}` }));
}

async function settingsView(result = "") {
  let settings;
  try {
    settings = await api.settings(user.tenantId);
  } catch (error) {
    show(alertBox(error));
    return;
  }
  const input = (name, label, type, value) => h("div", { class: "field" },
    h("label", { for: `input-${name}` }, t(label)),
    h("input", { id: `input-${name}`, name, type, value: value ?? "", "aria-describedby": `error-${name}` }),
    h("p", { class: "field-error", id: `error-${name}` }));
  const form = h("form", { novalidate: true },
    choices("sources", SOURCES, settings.sources, "checkbox"),
    choices("channels", CHANNELS, settings.channels, "checkbox"),
    choices("timing", TIMINGS, [settings.timing], "radio"),
    input("notify_email", "notifyEmail", "email", settings.notify_email),
    input("notify_phone", "notifyPhone", "tel", settings.notify_phone),
    h("p", { class: "field-error", id: "error-form", role: "alert" }),
    h("button", { type: "submit", class: "primary" }, t("save")));
  const state = h("p", { id: "activation-state" },
    settings.active ? t("active", { at: formatMoment(settings.activated_at) }) : t("inactive"));
  const toggle = h("button", { type: "button", id: settings.active ? "deactivate" : "activate" },
    t(settings.active ? "deactivate" : "activate"));
  const status = h("p", { role: "status", id: "result" }, result);

  const showProblems = (error) => {
    for (const element of form.querySelectorAll(".field-error")) element.textContent = "";
    for (const [field, text] of Object.entries(fieldProblems(error))) {
      const target = form.querySelector(`#error-${field}`) ?? form.querySelector("#error-form");
      target.textContent = target.textContent ? `${target.textContent}; ${text}` : text;
      target.closest(".field, fieldset")?.classList.add("invalid");
    }
  };
  const formSettings = () => {
    const data = new FormData(form);
    const text = (name) => (data.get(name) || "").trim() || null;
    return {
      ...settings,
      sources: data.getAll("sources"), channels: data.getAll("channels"), timing: data.get("timing"),
      notify_email: text("notify_email"), notify_phone: text("notify_phone"),
    };
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.saveSettings(user.tenantId, formSettings());
      await settingsView(t("saved"));
    } catch (error) {
      showProblems(error);
    }
  });
  toggle.addEventListener("click", async () => {
    const action = settings.active ? "deactivate" : "activate";
    try {
      await api.activation(user.tenantId, action);
      await settingsView(t(action === "activate" ? "activated" : "deactivated"));
    } catch (error) {
      showProblems(error);
    }
  });
  show(h("h2", {}, t("settings")), state, toggle, status, form);
}

// Runs (system users) --------------------------------------------------------------------------

async function runsView() {
  try {
    const runs = await api.runs();
    show(h("h2", {}, t("runs")), h("table", { class: "runs" },
      h("thead", {}, h("tr", {}, ["runDate", "started", "counts"].map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, runs.map((run) => h("tr", {},
        h("td", {}, formatDate(run.run_date)), h("td", {}, formatMoment(run.started_at)),
        h("td", {}, `${run.counts.sent} / ${run.counts.failed} / ${run.counts.ignored}`))))));
  } catch (error) {
    show(alertBox(error));
  }
}

// Routing --------------------------------------------------------------------------------------

function labelPage() {
  document.title = t("title");
  document.getElementById("title").textContent = t("title");
  document.getElementById("language-label").textContent = `${t("language")} `;
  for (const link of document.querySelectorAll("nav a")) link.textContent = t(link.dataset.view);
}

async function route() {
  labelPage();
  if (!user) {
    const button = config.cognito
      ? h("button", { type: "button", class: "primary", onclick: () => signIn(config.cognito) }, t("signIn"))
      : null;
    show(h("p", {}, t("signedOut")), button);
    return;
  }
  const [, view, id] = window.location.hash.match(/^#\/(\w+)(?:\/(.+))?/) ?? [];
  for (const link of document.querySelectorAll("nav a")) {
    link.toggleAttribute("aria-current", link.dataset.view === view);
  }
  if (view === "runs" && user.system) return runsView();
  if (!user.tenantId) return runsView();
  if (view === "invoice" && id) return invoiceView(decodeURIComponent(id));
  if (view === "settings") return settingsView();
  return invoicesView();
}

async function start() {
  takeTokenFromFragment(); // first of all: the token leaves the address bar before anything loads
  const chooser = document.getElementById("language");
  const preferred = sessionStorage.getItem(LANGUAGE_KEY)
    ?? LANGUAGES.find((code) => navigator.language.startsWith(code)) ?? "en";
  setLanguage(preferred);
  chooser.value = preferred;
  chooser.addEventListener("change", () => {
    sessionStorage.setItem(LANGUAGE_KEY, chooser.value);
    setLanguage(chooser.value);
    route();
  });
  config = await fetch("config.json").then((response) => response.json()).catch(() => config);
  await completeSignIn(config.cognito);
  useSession();
  window.addEventListener("hashchange", () => {
    if (takeTokenFromFragment()) useSession(); // a new token opened in the same tab
    route();
  });
  await route();
}

function useSession() {
  user = session();
  api = user ? client(config.apiBase, user.token) : null;
  document.querySelector('nav a[data-view="runs"]').hidden = !user?.system;
  for (const view of ["invoices", "settings"]) {
    document.querySelector(`nav a[data-view="${view}"]`).hidden = !user?.tenantId;
  }
}

start();
