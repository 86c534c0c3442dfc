// @ts-check
/**
 * What every page of the dashboard needs: its elements by id, nodes built from data, a toast for what
 * happened, and the API with its tokens asked for in the page's token dialog.
 */

import { createApi, tokenDialog } from './api.js';

/**
 * The page's element `#id`, of the type the page's HTML must give it.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export function element(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`${location.pathname} has no ${type.name} #${id}`);
  return found;
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {Array<Node | string>} [children]
 */
export function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A bar of `width` (0..1) in the class `level`; through the CSSOM, as the policy refuses style attributes. @param {string} track @param {string} level @param {number} width */
export function bar(track, level, width) {
  const fill = el('span', { class: level });
  fill.style.width = `${Math.round(width * 100)}%`;
  return el('span', { class: track, 'aria-hidden': 'true' }, [fill]);
}

/** @param {unknown} err */
export const messageOf = (err) => (err instanceof Error ? err.message : String(err));

/**
 * Shows a message in `box` for `ms` (a newer one replaces it); `ok` colours it as a success.
 * @param {HTMLElement} box
 * @param {number} ms
 * @returns {(message: string, ok?: boolean) => void}
 */
export function createToast(box, ms = 4000) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return (message, ok = false) => {
    box.textContent = message;
    box.className = ok ? 'toast ok' : 'toast';
    box.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => (box.hidden = true), ms);
  };
}

/**
 * The API with its tokens asked for in the page's #token-dialog and kept in the tab. `readDeclined()`:
 * whether the analyst cancelled the read token's dialog, after which a page that reads by itself stops
 * (and stops asking) until they ask for a read themselves: then `clearDeclined()`.
 * @param {{ sayRefused?: boolean }} [options] sayRefused: the dialog says that the last token entered was refused
 */
export function createPageApi({ sayRefused = true } = {}) {
  const askInDialog = tokenDialog({
    dialog: element('token-dialog', HTMLDialogElement),
    input: element('token-input', HTMLInputElement),
    title: element('token-title', HTMLElement),
    help: element('token-help', HTMLElement),
  });
  let declined = false;
  const api = createApi({
    storage: sessionStorage,
    askToken: async (kind, refused) => {
      const token = await askInDialog(kind, sayRefused && refused);
      if (kind === 'read') declined = token === null;
      return token;
    },
  });
  return {
    api,
    readDeclined: () => declined,
    clearDeclined: () => {
      declined = false;
    },
  };
}
