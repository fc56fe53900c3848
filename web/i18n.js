// The page's labels in Finnish, Swedish and English, from the one catalogue (the `web` domain's .po
// files, written to locales/*.json by `python -m autodispatch_cli.web_catalogue`); messages and
// explanations come from the API in the same language. Dates and amounts by Intl.
export const LANGUAGES = ["fi", "sv", "en"];
const LOCALES = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };

let current = "en";
let labels = {};

/** Load the language's labels (falls back to English for an unknown code). */
export async function setLanguage(language) {
  const chosen = LANGUAGES.includes(language) ? language : "en";
  const response = await fetch(`locales/${chosen}.json`);
  labels = response.ok ? await response.json() : {};
  current = chosen;
  document.documentElement.lang = current;
}

export function language() {
  return current;
}

/** The label of `key` with its {placeholders} filled; the key itself if the catalogue lacks it. */
export function t(key, values = {}) {
  const text = labels[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function formatDate(isoDate) {
  if (!isoDate) return "";
  // A calendar date has no zone: format it at noon UTC so no zone moves it to another day.
  const day = new Date(`${isoDate.slice(0, 10)}T12:00:00Z`);
  return new Intl.DateTimeFormat(LOCALES[current], { dateStyle: "medium", timeZone: "UTC" }).format(day);
}

export function formatMoment(isoMoment) {
  if (!isoMoment) return "";
  return new Intl.DateTimeFormat(LOCALES[current], { dateStyle: "medium", timeStyle: "short" })
    .format(new Date(isoMoment));
}

export function formatAmount(amount, currency = "EUR") {
  if (amount === undefined || amount === null || amount === "") return "";
  return new Intl.NumberFormat(LOCALES[current], { style: "currency", currency }).format(Number(amount));
}
