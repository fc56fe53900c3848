// The page's one way to build DOM: text children become text nodes, so API text is never parsed as HTML.

/** An element with attributes (`onclick` etc. become listeners) and children (strings, nodes, arrays). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

/** Replace the main view's content. */
export function show(...children) {
  document.getElementById("view").replaceChildren(...children.filter((child) => child !== null && child !== undefined));
}
