// The tenant view (R28): open invoices with their automatic-dispatch messages, one invoice with its
// history and actions (R19, R20, R22), the settings with activation (R1-R4), and runs for a system user.
import { client } from "./api.js";
import { completeSignIn, session, signIn, signInLocally, takeTokenFromFragment } from "./auth.js";
import { h, show } from "./dom.js";
import { loadEnums } from "./enums.js";
import { LANGUAGES, language, setLanguage, t } from "./i18n.js";
import { invoiceView } from "./views/invoice.js";
import { invoicesView } from "./views/invoices.js";
import { runsView } from "./views/runs.js";
import { settingsView } from "./views/settings.js";
import { alertBox } from "./widgets.js";

const LANGUAGE_KEY = "autodispatch.language";

let config = { apiBase: "/api" };
// The signed-in user, their API client and the API's enumerations; null while signed out.
let context = null;

function labelPage() {
  document.title = t("title");
  document.getElementById("title").textContent = t("title");
  document.getElementById("language-label").textContent = `${t("language")} `;
  document.querySelector("nav").setAttribute("aria-label", t("navigation"));
  for (const link of document.querySelectorAll("nav a")) link.textContent = t(link.dataset.view);
}

function signInView() {
  if (config.localSignIn) {
    const tenant = h("input", { id: "local-tenant", name: "tenant", required: true, autocomplete: "off" });
    const form = h("form", { class: "sign-in", novalidate: true },
      h("label", { for: "local-tenant" }, t("localTenant")), tenant,
      h("button", { type: "submit", class: "primary", id: "sign-in" }, t("signIn")),
      h("button", {
        type: "button", id: "sign-in-system",
        onclick: () => signInLocally(config.localSignIn, { system: true }),
      }, t("signInSystem")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (tenant.value.trim()) signInLocally(config.localSignIn, { tenant: tenant.value.trim() });
    });
    return [h("p", {}, t("signedOut")), form];
  }
  const button = config.cognito
    ? h("button", { type: "button", class: "primary", id: "sign-in", onclick: () => signIn(config.cognito) }, t("signIn"))
    : null;
  return [h("p", {}, t("signedOut")), button];
}

async function route() {
  labelPage();
  if (!context) {
    show(...signInView());
    return;
  }
  const [, view, id] = window.location.hash.match(/^#\/(\w+)(?:\/(.+))?/) ?? [];
  for (const link of document.querySelectorAll("nav a")) {
    link.toggleAttribute("aria-current", link.dataset.view === view);
  }
  const { user } = context;
  if (!user.tenantId || (view === "runs" && user.system)) return runsView(context);
  if (view === "invoice" && id) return invoiceView(context, decodeURIComponent(id));
  if (view === "settings") return settingsView(context);
  return invoicesView(context);
}

async function useSession() {
  const user = session();
  context = null;
  if (user) {
    const api = client(config.apiBase, user.token, language);
    try {
      context = { api, user, enums: await loadEnums(api) };
    } catch (error) {
      show(alertBox(error));
    }
  }
  document.querySelector('nav a[data-view="runs"]').hidden = !context?.user.system;
  for (const view of ["invoices", "settings"]) {
    document.querySelector(`nav a[data-view="${view}"]`).hidden = !context?.user.tenantId;
  }
}

async function start() {
  takeTokenFromFragment(); // first of all: a token leaves the address bar before anything loads
  const chooser = document.getElementById("language");
  const preferred = sessionStorage.getItem(LANGUAGE_KEY)
    ?? LANGUAGES.find((code) => navigator.language.startsWith(code)) ?? "en";
  await setLanguage(preferred);
  chooser.value = language();
  chooser.addEventListener("change", async () => {
    sessionStorage.setItem(LANGUAGE_KEY, chooser.value);
    await setLanguage(chooser.value);
    await route();
  });
  config = await fetch("config.json").then((response) => response.json()).catch(() => config);
  await completeSignIn(config.cognito);
  await useSession();
  window.addEventListener("hashchange", async () => {
    if (takeTokenFromFragment()) await useSession(); // only the answer to this tab's own sign-in
    await route();
  });
  await route();
}

start();
