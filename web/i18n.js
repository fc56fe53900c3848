// The page's own labels in Finnish, Swedish and English; messages and explanations come from the API.
const LABELS = {
  en: {
    title: "Automatic dispatch", language: "Language", invoices: "Open invoices", settings: "Settings",
    runs: "Runs", number: "Number", customer: "Customer", dates: "Dates", amount: "Amount",
    channel: "Channel", state: "Automatic dispatch", message: "Message", tonight: "Next night",
    all: "All", filter: "Show", PENDING: "Pending", SENT: "Sent", IGNORED: "Ignored", FAILED: "Failed",
    REMOVED: "Removed", EINVOICE: "E-invoice", EMAIL: "Email", PRINT: "Print", chain: "By the settings",
    none: "No invoices.", back: "Back to the list", history: "History", sentOn: "Sent on",
    removeAuto: "Remove automatic dispatch", restoreAuto: "Restore automatic dispatch",
    sendNow: "Send now", sendBy: "Channel", confirm: "Confirm", cancel: "Cancel",
    confirmRemove: "Remove automatic dispatch from invoice {id}?",
    confirmRestore: "Restore automatic dispatch of invoice {id}?",
    confirmSend: "Send invoice {id} now ({channel})?",
    removed: "Automatic dispatch removed.", restored: "Automatic dispatch restored.",
    sent: "Sent by {channel}.", sources: "Invoice sources", channels: "Delivery channels",
    timing: "Due by", CREATION_DATE: "Creation date", INVOICE_DATE: "Invoice date",
    CONTRACT_BILLING: "Contract billing", MANUAL: "Manual", REBILLING: "Rebilling", API: "API",
    notifyEmail: "Notification email", notifyPhone: "Notification phone", save: "Save",
    saved: "Settings saved.", activate: "Activate", deactivate: "Deactivate",
    active: "Automatic dispatch is on since {at}.", inactive: "Automatic dispatch is off.",
    activated: "Automatic dispatch activated.", deactivated: "Automatic dispatch deactivated.",
    runDate: "Night", started: "Started", counts: "Sent / failed / ignored",
    signIn: "Sign in", signedOut: "Sign in to see your invoices.", loading: "Loading…",
    more: "Show more", error: "Error",
  },
  fi: {
    title: "Automaattilähetys", language: "Kieli", invoices: "Avoimet laskut", settings: "Asetukset",
    runs: "Ajot", number: "Numero", customer: "Asiakas", dates: "Päivämäärät", amount: "Summa",
    channel: "Kanava", state: "Automaattilähetys", message: "Viesti", tonight: "Seuraava yö",
    all: "Kaikki", filter: "Näytä", PENDING: "Odottaa", SENT: "Lähetetty", IGNORED: "Ohitettu",
    FAILED: "Epäonnistui", REMOVED: "Poistettu", EINVOICE: "Verkkolasku", EMAIL: "Sähköposti",
    PRINT: "Tulostus", chain: "Asetusten mukaan", none: "Ei laskuja.", back: "Takaisin listaan",
    history: "Historia", sentOn: "Lähetetty", removeAuto: "Poista automaattilähetys",
    restoreAuto: "Palauta automaattilähetys", sendNow: "Lähetä nyt", sendBy: "Kanava",
    confirm: "Vahvista", cancel: "Peruuta",
    confirmRemove: "Poistetaanko laskun {id} automaattilähetys?",
    confirmRestore: "Palautetaanko laskun {id} automaattilähetys?",
    confirmSend: "Lähetetäänkö lasku {id} nyt ({channel})?",
    removed: "Automaattilähetys poistettu.", restored: "Automaattilähetys palautettu.",
    sent: "Lähetetty: {channel}.", sources: "Laskujen lähteet", channels: "Lähetyskanavat",
    timing: "Erääntyy", CREATION_DATE: "Luontipäivä", INVOICE_DATE: "Laskun päivä",
    CONTRACT_BILLING: "Sopimuslaskutus", MANUAL: "Käsin", REBILLING: "Uudelleenlaskutus", API: "API",
    notifyEmail: "Ilmoitusten sähköposti", notifyPhone: "Ilmoitusten puhelin", save: "Tallenna",
    saved: "Asetukset tallennettu.", activate: "Ota käyttöön", deactivate: "Poista käytöstä",
    active: "Automaattilähetys on käytössä {at} alkaen.", inactive: "Automaattilähetys ei ole käytössä.",
    activated: "Automaattilähetys otettu käyttöön.", deactivated: "Automaattilähetys poistettu käytöstä.",
    runDate: "Yö", started: "Alkoi", counts: "Lähetetty / epäonnistui / ohitettu",
    signIn: "Kirjaudu", signedOut: "Kirjaudu nähdäksesi laskusi.", loading: "Ladataan…",
    more: "Näytä lisää", error: "Virhe",
  },
  sv: {
    title: "Automatiskt utskick", language: "Språk", invoices: "Öppna fakturor", settings: "Inställningar",
    runs: "Körningar", number: "Nummer", customer: "Kund", dates: "Datum", amount: "Belopp",
    channel: "Kanal", state: "Automatiskt utskick", message: "Meddelande", tonight: "Nästa natt",
    all: "Alla", filter: "Visa", PENDING: "Väntar", SENT: "Skickad", IGNORED: "Ignorerad",
    FAILED: "Misslyckades", REMOVED: "Borttagen", EINVOICE: "E-faktura", EMAIL: "E-post",
    PRINT: "Utskrift", chain: "Enligt inställningarna", none: "Inga fakturor.", back: "Tillbaka till listan",
    history: "Historik", sentOn: "Skickad", removeAuto: "Ta bort automatiskt utskick",
    restoreAuto: "Återställ automatiskt utskick", sendNow: "Skicka nu", sendBy: "Kanal",
    confirm: "Bekräfta", cancel: "Avbryt",
    confirmRemove: "Ta bort automatiskt utskick av faktura {id}?",
    confirmRestore: "Återställ automatiskt utskick av faktura {id}?",
    confirmSend: "Skicka faktura {id} nu ({channel})?",
    removed: "Automatiskt utskick borttaget.", restored: "Automatiskt utskick återställt.",
    sent: "Skickad: {channel}.", sources: "Fakturakällor", channels: "Leveranskanaler",
    timing: "Förfaller enligt", CREATION_DATE: "Skapandedatum", INVOICE_DATE: "Fakturadatum",
    CONTRACT_BILLING: "Avtalsfakturering", MANUAL: "Manuell", REBILLING: "Omfakturering", API: "API",
    notifyEmail: "E-post för aviseringar", notifyPhone: "Telefon för aviseringar", save: "Spara",
    saved: "Inställningarna sparade.", activate: "Aktivera", deactivate: "Avaktivera",
    active: "Automatiskt utskick är på sedan {at}.", inactive: "Automatiskt utskick är av.",
    activated: "Automatiskt utskick aktiverat.", deactivated: "Automatiskt utskick avaktiverat.",
    runDate: "Natt", started: "Startade", counts: "Skickade / misslyckade / ignorerade",
    signIn: "Logga in", signedOut: "Logga in för att se dina fakturor.", loading: "Laddar…",
    more: "Visa fler", error: "Fel",
  },
};

const LOCALES = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };
export const LANGUAGES = Object.keys(LABELS);

let current = "en";

export function setLanguage(language) {
  current = LABELS[language] ? language : "en";
  document.documentElement.lang = current;
}

export function language() {
  return current;
}

export function t(key, values = {}) {
  const text = LABELS[current][key] ?? LABELS.en[key] ?? key;
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
