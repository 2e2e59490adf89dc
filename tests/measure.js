// What a page must pass at a size (tests/browser.py layout_problems): every problem as
// a line of text. `fits`: the page must also fit the window's height (the wall
// screen). Charts and the map draw inside their box with positioned layers: left out
// (the box itself is measured).
(fits) => {
  const W = window.innerWidth;
  const H = window.innerHeight;
  const problems = [];
  const name = (el) => {
    const classes = typeof el.className === "string" ? el.className.trim().split(/\s+/) : [];
    return (
      el.tagName.toLowerCase() +
      (el.id ? `#${el.id}` : "") +
      classes.filter(Boolean).map((c) => `.${c}`).join("") +
      (el.dataset.field ? `[${el.dataset.field}]` : "") +
      (el.dataset.service ? `[${el.dataset.service}]` : "")
    );
  };
  const doc = document.documentElement;
  if (doc.scrollWidth > W) problems.push(`the page is ${doc.scrollWidth}px wide in ${W}px`);
  if (fits && doc.scrollHeight > H) problems.push(`the page is ${doc.scrollHeight}px high in ${H}px`);
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return (
      r.width > 0 &&
      r.height > 0 &&
      style.visibility !== "hidden" &&
      style.position !== "absolute" &&
      style.position !== "fixed"
    );
  };
  for (const el of document.body.querySelectorAll("*")) {
    const drawn = el.parentElement && el.parentElement.closest(".leaflet-container");
    if (el.closest(".chart-box") || drawn || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    // inside a box that scrolls sideways (a wide table on a phone), content
    // runs past the window by design: the box itself is measured instead
    const scroller = el.parentElement && el.parentElement.closest(".scroll");
    if (!scroller && (r.right > W + 1 || r.left < -1)) {
      problems.push(`${name(el)} runs past the window's edge`);
    }
    if (fits && r.bottom > H + 1) problems.push(`${name(el)} runs below the screen`);
    const style = getComputedStyle(el);
    // a map clips its drawing by design: what lies outside is panned to, not hidden
    const clips = el.classList.contains("leaflet-container");
    if (!clips && (style.overflowX !== "visible" || style.overflowY !== "visible")) {
      if (el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} hides part of its width`);
      if (el.scrollHeight > el.clientHeight + 1) {
        problems.push(`${name(el)} hides part of its height`);
      }
    }
    // siblings must not overlap; an inline element that wraps is its line boxes
    const kids = [...el.children].filter((c) => shown(c) && !c.closest(".chart-box"));
    const boxes = kids.map((c) => [...c.getClientRects()]);
    const cross = (a, b) =>
      Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
      Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
    for (let i = 0; i < kids.length; i++) {
      for (let j = i + 1; j < kids.length; j++) {
        if (boxes[i].some((a) => boxes[j].some((b) => cross(a, b)))) {
          problems.push(`${name(kids[i])} overlaps ${name(kids[j])}`);
        }
      }
    }
  }
  return [...new Set(problems)];
}
