// A visit's page: the plain-language summary first, each leg's fused severity with the clips
// that made it, the clips with their views and status, then every measure by leg.

import { $, SIDES, api, apiBlob, esc, fmt, interval, num, sleep, taskLabel, viewLabel, vocabulary } from "./util.js";

let shown = 0;  // the visit being shown; a newer showVisit stops the older one's polling

const LEG_NAMES = { left: "Left leg", right: "Right leg", asym: "Between the legs (left minus right)" };

function clipNames(jobs) {  // job id -> "clip 2 (walking forward, left side)"
  return Object.fromEntries(jobs.map((j, i) => [j.job_id, `clip ${i + 1}`]));
}

function legCard(side, leg, names) {
  const tasks = Object.entries(leg.by_task || {}).map(([task, fusion]) => `
    <table class="contrib" data-side="${side}" data-task="${esc(task)}">
      <caption>${esc(taskLabel(task))}: ${fmt(fusion.severity)} (90 % interval ${interval(fusion.severity_interval)})</caption>
      <thead><tr><th scope="col">clip</th><th scope="col">view</th><th scope="col">weight</th>
      <th scope="col">severity (interval)</th></tr></thead><tbody>${fusion.clips.map((c) => `<tr>
        <td>${esc(names[c.video] || c.video)}</td><td>${esc(viewLabel(c.view))}</td>
        <td class="num">${Math.round(100 * c.weight)} %</td>
        <td class="num">${fmt(c.severity)} (${interval(c.severity_interval)})</td></tr>`).join("")}</tbody></table>`).join("");
  const factor = leg.provoking_factor === null || leg.provoking_factor === undefined ? "n/a" : leg.provoking_factor;
  return `<article class="leg" id="leg-${side}" aria-labelledby="leg-${side}-title">
    <h4 id="leg-${side}-title">${LEG_NAMES[side]}</h4>
    ${leg.judged ? `<p><strong id="${side}-severity">${fmt(leg.severity)}</strong> of 4
      <span class="note">(90 % interval <span id="${side}-interval">${interval(leg.severity_interval)}</span>;
      worst in ${esc(taskLabel(leg.severity_task))})</span></p>`
      : `<p id="${side}-severity">not judged: ${esc(leg.reason)}</p>`}
    <p class="note">Provoking factor ${esc(factor)} (tasks: ${esc((leg.provoking_tasks || []).map(taskLabel).join(", ") || "none")});
      leg item ${fmt(leg.leg_item)} of 16.</p>${tasks}</article>`;
}

function clipsTable(visit, names) {
  const rows = Object.fromEntries((visit.clips || []).map((c) => [c.video, c]));
  return `<div class="scroll"><table id="visit-clips"><caption>Task, camera view and status of each clip</caption>
    <thead><tr><th scope="col">clip</th><th scope="col">task</th><th scope="col">view stated</th>
    <th scope="col">view scored</th><th scope="col">status</th><th scope="col">note</th></tr></thead>
    <tbody>${visit.jobs.map((j) => { const c = rows[j.job_id] || {}; return `<tr data-job="${esc(j.job_id)}">
      <td>${esc(names[j.job_id])}</td><td>${esc(taskLabel(j.task))}</td><td>${esc(j.view ? viewLabel(j.view) : "detect")}</td>
      <td>${esc(c.view ? viewLabel(c.view) : "–")}</td>
      <td class="status"><progress max="1" value="${j.progress}" aria-label="Progress of ${esc(names[j.job_id])}"></progress>
        ${esc(j.status)}${c.scorable === false ? " (not scorable)" : ""}</td>
      <td class="note">${esc(j.error || c.error || "")}</td></tr>`; }).join("")}</tbody></table></div>`;
}

async function measuresTables(visit, names) {
  const done = visit.jobs.filter((j) => j.status === "done");
  if (!done.length) return "";
  const [{ measures }, results] = await Promise.all([
    vocabulary, Promise.all(done.map((j) => api(`/v1/jobs/${j.job_id}/result`)))]);
  const head = done.map((j, i) => `<th scope="col">${esc(names[j.job_id])}<br>
    <span class="note">${esc(viewLabel(results[i].view))}</span></th>`).join("");
  return ["left", "right", "asym"].map((side) => {
    const rows = Object.entries(measures).filter(([, m]) => m.side === side).map(([name, m]) => `<tr>
      <th scope="row">${esc(m.label)}</th>${results.map((r) => {
        const v = r.features ? r.features[name] : null;
        return `<td class="num">${v === null || v === undefined ? '<span class="note">not seen</span>' : num(v)}</td>`;
      }).join("")}</tr>`).join("");
    return `<div class="scroll"><table class="measures" id="measures-${side}"><caption>${LEG_NAMES[side]}: measures</caption>
      <thead><tr><th scope="col">measure</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
  }).join("");
}

let overlayUrl = null;  // the object URL of the video shown, revoked when replaced

async function playOverlay(jobId) {
  const blob = await apiBlob(`/v1/jobs/${jobId}/overlay`);
  if (overlayUrl) URL.revokeObjectURL(overlayUrl);
  overlayUrl = blob ? URL.createObjectURL(blob) : null;
  $("overlay").hidden = !blob;
  $("overlay-state").textContent = blob ? "Faces are blurred; the skeleton and flags are drawn on the frames."
    : "No overlay video for this clip (it was not rendered, or the clip could not be scored).";
  if (blob) $("overlay").src = overlayUrl;
}

function overlaySection(visit, names) {
  const done = visit.jobs.filter((j) => j.status === "done");
  if (!done.length) {
    $("visit-overlay").innerHTML = '<p class="note">No clip was scored.</p>';
    return null;
  }
  $("visit-overlay").innerHTML = `<label for="overlay-clip">Clip</label>
    <select id="overlay-clip">${done.map((j) => `<option value="${esc(j.job_id)}">${esc(names[j.job_id])}
      (${esc(taskLabel(j.task))})</option>`).join("")}</select>
    <p class="note" id="overlay-state" role="status"></p>
    <video id="overlay" controls autoplay muted loop playsinline hidden aria-label="Overlay video"></video>`;
  $("overlay-clip").onchange = () => playOverlay($("overlay-clip").value);
  return playOverlay(done[0].job_id);
}

function render(box, visit) {
  const names = clipNames(visit.jobs);
  const pending = visit.jobs.filter((j) => ["queued", "running"].includes(j.status)).length;
  box.innerHTML = `<div class="summary" id="visit-summary">${(visit.summary || []).map((s) => `<p>${esc(s)}</p>`).join("")}
    ${pending ? `<p class="note" id="visit-pending">${pending} clip${pending === 1 ? "" : "s"} still being scored; the result will update.</p>` : ""}</div>
    <h3>Fused result</h3>
    <p class="note">Affected side: <span id="affected-side">${esc(visit.affected_side || "not known")}</span>.
      Each leg's severity is fused from the clips that can see it, each weighted by its own interval.</p>
    <div class="legs">${SIDES.map((s) => legCard(s, visit.legs[s], names)).join("")}</div>
    <h3>Clips</h3>${clipsTable(visit, names)}
    <h3>Overlay video</h3><div id="visit-overlay"><p class="note">Shown once a clip is scored.</p></div>
    <h3>Measures by leg</h3><p class="note">Each clip's measures; "not seen" when the clip's
      view cannot show it (inversion and circumduction need a front or back view).</p><div id="visit-measures"><p class="note">Loading...</p></div>`;
  return pending;
}

export async function showVisit(box, { patient, session, phase }) {
  const me = ++shown;
  box.innerHTML = '<p class="note">Loading...</p>';
  try {
    for (;;) {
      const visit = await api("/v1/patients/visit", { patient, session, phase });
      if (me !== shown || $("visit-view").hidden) return;
      const pending = render(box, visit);
      if (!pending) {
        await overlaySection(visit, clipNames(visit.jobs));
        $("visit-measures").innerHTML = (await measuresTables(visit, clipNames(visit.jobs))) ||
          '<p class="note">No clip was scored.</p>';
        return;
      }
      $("visit-measures").innerHTML = '<p class="note">Shown once every clip is scored.</p>';
      await sleep(2000);
    }
  } catch (err) {
    if (me === shown) box.innerHTML = `<p class="error" role="alert">${esc(err.message)}</p>`;
  }
}
