// posescore web app: patients, a patient's visits and course, a visit, the upload of a visit.
// Pseudonyms travel in request bodies and in the page's memory, never in the URL.

import { courseChart } from "./chart.js";
import { setupUpload } from "./upload.js";
import { $, SIDES, api, esc, fmt, interval, signed } from "./util.js";
import { showVisit } from "./visit.js";

const VIEWS = ["patients-view", "patient-view", "visit-view", "upload-view"];

function reveal(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  for (const [button, shows] of [["nav-patients", "patients-view"], ["nav-upload", "upload-view"]]) {
    if (view === shows) $(button).setAttribute("aria-current", "page");
    else $(button).removeAttribute("aria-current");
  }
}

const day = (iso) => (iso ? String(iso).slice(0, 10) : "n/a");  // ISO date of a timestamp
// a course row's session label (the course numbers sessions: day3 -> 3)
const sessionLabel = (course, number) =>
  ((course.visits || []).find((v) => v.session === number) || { visit: { label: number } }).visit.label;
const problem = (err) => `<p class="error" role="alert">${esc(err.message)}</p>`;

// ---- navigation: in-page history with the state in memory (no pseudonym in the address) ----
const ROUTES = {};

export function go(route, args = {}, push = true) {
  if (push) history.pushState({ route, args }, "", location.pathname);
  ROUTES[route](args);
}
window.onpopstate = (e) => go(e.state ? e.state.route : "patients", e.state ? e.state.args : {}, false);

// ---- patients ----
ROUTES.patients = async () => {
  reveal("patients-view");
  const box = $("patients");
  if (!sessionStorage.getItem("posescoreKey")) {
    box.innerHTML = '<p class="note">Save an API key to see your patients.</p>';
    return;
  }
  box.innerHTML = '<p class="note">Loading...</p>';
  try {
    const { patients } = await api("/v1/patients/list", {});
    box.innerHTML = patients.length ? `<ul class="patients" id="patient-list">${patients.map((p) =>
      `<li><button type="button" data-patient="${esc(p.patient)}">
        <strong>${esc(p.patient)}</strong><br><span class="note">${esc(p.visits)} visit${p.visits === 1 ? "" : "s"},
        ${esc(p.clips)} clips, last ${esc(day(p.last_visit))}</span></button></li>`).join("")}</ul>`
      : '<p id="patient-list">No patient yet: upload a visit.</p>';
    for (const b of box.querySelectorAll("button[data-patient]")) {
      b.onclick = () => go("patient", { patient: b.dataset.patient });
    }
  } catch (err) { box.innerHTML = problem(err); }
};

// ---- one patient: course summary, chart, trends, per-session changes, visit timeline ----
function trendRows(course) {
  return (course.trends || []).map((t) => `<tr><th scope="row">${esc(t.measure.replace("_severity", ""))} leg</th>
    <td>${esc(t.phase)}</td><td class="num">${signed(t.slope_per_session, 2)}</td>
    <td class="num">${t.ci95 ? `${signed(t.ci95[0], 2)} to ${signed(t.ci95[1], 2)}` : "n/a"}</td>
    <td>${esc(t.direction)}</td><td class="num">${esc(t.n_sessions)}</td></tr>`).join("");
}

function changeRows(course) {
  return (course.changes || []).map((c) => `<tr data-session="${esc(c.session)}"><th scope="row">${esc(sessionLabel(course, c.session))}</th>
    ${SIDES.map((s) => { const leg = c.legs[s]; return `<td class="num" data-side="${s}">${fmt(leg.pre)} → ${fmt(leg.post)}
      (${signed(leg.change)}; noise ${fmt(leg.mdc95, 2)})</td><td data-side="${s}" class="verdict">${esc(leg.direction)}${leg.beyond_noise ? ", beyond noise" : ""}</td>`; }).join("")}</tr>`).join("");
}

function visitRows(course) {
  return (course.visits || []).map((v) => `<tr data-session="${esc(v.session)}" data-phase="${esc(v.phase)}">
    <th scope="row">${esc(v.visit.label)} ${esc(v.phase)}</th><td>${esc(v.date)}</td>
    ${SIDES.map((s) => `<td class="num">${fmt(v[`${s}_severity`])} (${interval(v[`${s}_interval`])})</td>`).join("")}
    <td>${esc(v.error)}</td></tr>`).join("");
}

function renderCourse(course) {
  $("course-summary").innerHTML = `<div class="summary" id="course-sentences">${(course.summary || [])
    .map((s) => `<p>${esc(s)}</p>`).join("")}</div>`;
  $("course-chart").innerHTML = `<figure class="chart scroll">${courseChart(course)}</figure>`;
  const trends = trendRows(course);
  const changes = changeRows(course);
  $("course-details").innerHTML = `<div class="scroll"><table id="course-table">
      <caption>Fused severity per visit, 0-4 (90 % interval)</caption>
      <thead><tr><th scope="col">visit</th><th scope="col">date</th><th scope="col">left leg</th>
      <th scope="col">right leg</th><th scope="col">note</th></tr></thead><tbody>${visitRows(course)}</tbody></table></div>
    ${trends ? `<div class="scroll"><table id="trends"><caption>Trend per leg (severity change per session, 95 % CI)</caption>
      <thead><tr><th scope="col">leg</th><th scope="col">phase</th><th scope="col">slope</th><th scope="col">95 % CI</th>
      <th scope="col">direction</th><th scope="col">sessions</th></tr></thead><tbody>${trends}</tbody></table></div>`
      : '<p class="note" id="trends">A trend needs at least 3 scored visits of a phase.</p>'}
    ${changes ? `<div class="scroll"><table id="changes"><caption>Pre → post within each session</caption>
      <thead><tr><th scope="col">session</th><th scope="col" colspan="2">left leg</th>
      <th scope="col" colspan="2">right leg</th></tr></thead><tbody>${changes}</tbody></table></div>
      <p class="note">A change is beyond noise when it exceeds the MDC95 of fused scores
      (${fmt(course.noise && course.noise.mdc95)} on the 0-4 scale, measured on test-retest phantom
      visits), widened when the visits' intervals are wider.</p>` : ""}`;
}

function renderTimeline(patient, visits) {
  $("timeline").innerHTML = visits.map((v) => {
    const counts = Object.entries(v.clips || {}).filter(([, n]) => n).map(([k, n]) => `${n} ${esc(k)}`).join(", ");
    const legs = v.legs ? SIDES.map((s) => `${s} ${fmt(v.legs[s].severity)} (${interval(v.legs[s].severity_interval)})`).join(", ")
      : "not ready";
    return `<li class="${esc(v.phase)}"><button type="button" data-session="${esc(v.session)}" data-phase="${esc(v.phase)}">
      ${esc(day(v.date))} · session ${esc(v.session)} · ${esc(v.phase)}</button>
      <span class="note">clips: ${counts || "none"}; severity ${legs}</span></li>`;
  }).join("") || "<li>No visit yet.</li>";
  for (const b of $("timeline").querySelectorAll("button")) {
    b.onclick = () => go("visit", { patient, session: b.dataset.session, phase: b.dataset.phase });
  }
}

function setupComparison(patient, visits) {
  const options = visits.map((v, i) => `<option value="${i}">${esc(v.session)} ${esc(v.phase)} (${esc(day(v.date))})</option>`).join("");
  $("compare-pre").innerHTML = options;
  $("compare-post").innerHTML = options;
  $("compare-post").value = String(Math.min(1, visits.length - 1));
  $("comparison").innerHTML = "";
  $("compare").onsubmit = async (e) => {
    e.preventDefault();
    const ref = (id) => { const v = visits[Number($(id).value)]; return { session: v.session, phase: v.phase }; };
    try {
      const c = await api("/v1/patients/visit-comparison", { patient, pre: ref("compare-pre"), post: ref("compare-post") });
      $("comparison").innerHTML = `<div class="summary" id="comparison-summary">${c.summary.map((s) => `<p>${esc(s)}</p>`).join("")}</div>
        <div class="scroll"><table id="comparison-legs"><caption>${esc(c.pre.label)} → ${esc(c.post.label)}, fused severity 0-4</caption>
        <thead><tr><th scope="col">leg</th><th scope="col">from</th><th scope="col">to</th><th scope="col">change</th>
        <th scope="col">noise (MDC95)</th><th scope="col">verdict</th></tr></thead><tbody>${SIDES.map((s) => { const leg = c.legs[s];
          return `<tr data-side="${s}"><th scope="row">${s} leg</th><td class="num">${fmt(leg.pre)} (${interval(leg.pre_interval)})</td>
          <td class="num">${fmt(leg.post)} (${interval(leg.post_interval)})</td><td class="num">${signed(leg.change)}</td>
          <td class="num">${fmt(leg.mdc95, 2)}</td><td>${esc(leg.direction)}: ${esc(leg.reason)}</td></tr>`; }).join("")}</tbody></table></div>`;
    } catch (err) { $("comparison").innerHTML = problem(err); }
  };
}

ROUTES.patient = async ({ patient }) => {
  reveal("patient-view");
  $("patient-title").textContent = `Patient ${patient}`;
  $("upload-for-patient").onclick = () => go("upload", { patient });
  for (const id of ["course-summary", "course-chart", "course-details", "timeline"]) $(id).innerHTML = "";
  $("course-summary").innerHTML = '<p class="note">Loading...</p>';
  try {
    const [visits, course] = await Promise.all([
      api("/v1/patients/visits", { patient }), api("/v1/patients/course", { patient })]);
    renderTimeline(patient, visits.visits);
    setupComparison(patient, visits.visits);
    renderCourse(course);
  } catch (err) { $("course-summary").innerHTML = problem(err); }
};

ROUTES.visit = async (args) => {
  reveal("visit-view");
  $("visit-title").textContent = `Patient ${args.patient}: session ${args.session}, ${args.phase}`;
  $("back-to-patient").onclick = () => go("patient", { patient: args.patient });
  await showVisit($("visit"), args);
};

ROUTES.upload = ({ patient } = {}) => {
  reveal("upload-view");
  if (patient) $("patient").value = patient;
  $("patient").focus();
};

// ---- key ----
function showKeyState() {
  $("key-state").textContent = sessionStorage.getItem("posescoreKey") ? "key kept for this tab only" : "no key saved";
}
$("key-form").onsubmit = (e) => {
  e.preventDefault();
  sessionStorage.setItem("posescoreKey", $("key").value.trim());
  $("key").value = "";
  showKeyState();
  if (!$("patients-view").hidden) ROUTES.patients();
};
showKeyState();

$("nav-patients").onclick = () => go("patients");
$("nav-upload").onclick = () => go("upload");
$("open-patient").onsubmit = (e) => { e.preventDefault(); go("patient", { patient: $("patient-search").value.trim() }); };
setupUpload((visit) => go("visit", visit));
history.replaceState({ route: "patients", args: {} }, "", location.pathname);
ROUTES.patients();
