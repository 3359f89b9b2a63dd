// The course chart: fused severity (0-4) per leg per visit, 90 % interval bars, pre hollow and
// post filled, each phase's fitted trend dashed. Inline SVG with text labels (readable by tests
// and screen readers); a table with the same numbers follows it in the page.

import { SIDES, esc, fmt } from "./util.js";

const H = 260, TOP = 20, BOTTOM = 200, LEFT = 40, SLOT = 44, OFFSET = 7;
const y = (v) => BOTTOM - (BOTTOM - TOP) * (v / 4);

// x of each visit: one slot per visit in the course's order (session, then pre before post)
const slotX = (i) => LEFT + SLOT * (i + 0.5);

function trendPath(course, visits, side, phase) {
  const trend = (course.trends || []).find(
    (t) => t.measure === `${side}_severity` && t.phase === phase && t.slope_per_session !== null);
  if (!trend) return "";
  const points = visits
    .map((v, i) => [v, i])
    .filter(([v]) => v.phase === phase)
    .map(([v, i]) => `${slotX(i) + (side === "left" ? -OFFSET : OFFSET)},` +
         `${y(Math.min(4, Math.max(0, trend.intercept + trend.slope_per_session * Number(v.session))))}`);
  return `<polyline class="${side} trend" fill="none" stroke-dasharray="4 3" points="${points.join(" ")}">
    <title>${esc(side)} leg, ${esc(phase)} visits: trend</title></polyline>`;
}

function point(v, i, side) {
  const sev = v[`${side}_severity`];
  const iv = v[`${side}_interval`];
  const x = slotX(i) + (side === "left" ? -OFFSET : OFFSET);
  const where = `data-side="${side}" data-visit="${i}" data-session="${esc(v.visit.label)}" data-phase="${esc(v.phase)}"`;
  if (sev === null || sev === undefined) {
    return `<text class="value missing" ${where} x="${x}" y="${BOTTOM - 4}" text-anchor="middle">–</text>`;
  }
  const bar = iv ? `<line class="${side} interval" x1="${x}" x2="${x}" y1="${y(iv[0])}" y2="${y(iv[1])}" stroke-width="2"/>` : "";
  const label = `${side} leg, ${v.visit.label} ${v.phase}: ${fmt(sev)}` +
    (iv ? ` (90 % interval ${fmt(iv[0])}-${fmt(iv[1])})` : "");
  return `<g class="point" ${where}><title>${esc(label)}</title>${bar}
    <circle class="${side} ${esc(v.phase)}" cx="${x}" cy="${y(sev)}" r="4" stroke-width="2"/>
    <text class="value" ${where} x="${x}" y="${y(iv ? iv[1] : sev) - 5}" text-anchor="middle">${fmt(sev)}</text></g>`;
}

export function courseChart(course) {
  const visits = course.visits || [];
  const width = Math.max(LEFT + SLOT * visits.length + 10, 660);  // room for the legend
  const grid = [0, 1, 2, 3, 4].map((s) =>
    `<line class="grid" x1="${LEFT}" x2="${width - 10}" y1="${y(s)}" y2="${y(s)}"/>
     <text x="${LEFT - 6}" y="${y(s) + 4}" text-anchor="end">${s}</text>`).join("");
  const ticks = visits.map((v, i) =>
    `<text class="tick" x="${slotX(i)}" y="${BOTTOM + 16}" text-anchor="middle">${esc(v.visit.label)}</text>
     <text class="tick phase" x="${slotX(i)}" y="${BOTTOM + 30}" text-anchor="middle">${esc(v.phase)}</text>`).join("");
  const trends = SIDES.flatMap((side) => ["pre", "post"].map((ph) => trendPath(course, visits, side, ph))).join("");
  const points = visits.map((v, i) => SIDES.map((side) => point(v, i, side)).join("")).join("");
  const legend = `<g transform="translate(${LEFT},${H - 14})">
    <circle class="left post" cx="6" cy="-4" r="4"/><text x="14" y="0">left leg</text>
    <circle class="right post" cx="84" cy="-4" r="4"/><text x="92" y="0">right leg</text>
    <circle class="left pre" cx="170" cy="-4" r="4" stroke-width="2"/><text x="178" y="0">pre (hollow)</text>
    <circle class="left post" cx="270" cy="-4" r="4"/><text x="278" y="0">post (filled); bars: 90 % interval; dashed: trend</text></g>`;
  return `<svg id="course-svg" role="img" aria-labelledby="course-svg-title" viewBox="0 0 ${width} ${H}"><title id="course-svg-title">Severity per leg per visit, 0-4</title>
    <line class="axis" x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${BOTTOM}"/>${grid}${ticks}${trends}${points}${legend}</svg>`;
}
