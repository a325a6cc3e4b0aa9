/**
 * Building DOM and SVG elements without markup strings (so no text is ever parsed as HTML).
 * @module dom
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Sets attributes, properties and listeners on an element.
 * `class` sets the class list, `text` the text content, `on<Event>` (a function) adds a
 * listener; `null`, `undefined` and `false` leave an attribute out, `true` sets it empty.
 * @param {Element} el
 * @param {Record<string, unknown>} attrs
 */
function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value));
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'value' && 'value' in el) el.value = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** @param {Element} el @param {unknown[]} children */
function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * An HTML element.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...unknown} children strings, numbers, nodes or arrays of them
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/**
 * An SVG element.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...unknown} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {...unknown} children
 */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}
