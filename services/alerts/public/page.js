// @ts-check
/** What every page of the dashboard needs: its elements by id, and a toast for what happened. */

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
