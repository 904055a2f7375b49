// Element builders for the webview. Every string child becomes a text node and
// every attribute goes through setAttribute, so text from the code under review
// (labels, messages, file names) can never turn into markup. There is no
// innerHTML anywhere in media/.

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    // Event handlers and inline styles are never set from here: handlers are
    // attached with addEventListener and the CSP forbids style attributes.
    if (/^on/i.test(name) || name.toLowerCase() === 'style') throw new Error(`refusing attribute ${name}`);
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** An HTML element; `cls` is the class attribute. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** A <title> child: the tooltip of an SVG shape. */
export const tip = (text: string): SVGTitleElement => s('title', {}, text);

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Cut `text` to about `px` pixels of 7px-wide characters. */
export function fit(text: string, px: number, charPx = 6.6): string {
  const n = Math.floor(px / charPx);
  if (n <= 1) return '';
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}
