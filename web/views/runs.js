// The nightly runs, for a system user (R21, R27).
import { h, show } from "../dom.js";
import { formatDate, formatMoment, t } from "../i18n.js";
import { alertBox } from "../widgets.js";

export async function runsView({ api }) {
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
