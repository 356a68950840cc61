/**
 * DTI's keyboard bindings (`dti_spec.md` §5.0 item 5): arrows = left/right/forward, p pickup, d drop,
 * t toggle, shift+D done. Returns the action id, or null for any other key.
 */
export function actionForKey(
  e: Pick<KeyboardEvent, 'key' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey'>,
): number | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  switch (e.key) {
    case 'ArrowLeft':
      return 0;
    case 'ArrowRight':
      return 1;
    case 'ArrowUp':
      return 2;
    case 'p':
      return 3;
    case 'd':
      return 4;
    case 't':
      return 5;
    case 'D':
      return e.shiftKey ? 6 : null;
    default:
      return null;
  }
}

/** Keys whose default action scrolls the page. */
export const SCROLL_KEYS = new Set([
  'ArrowLeft',
  'ArrowRight',
  'ArrowUp',
  'ArrowDown',
  ' ',
  'PageUp',
  'PageDown',
]);

/** Input types that take typed text (their arrow keys move the caret or step the number). */
const TEXT_INPUTS = new Set(['text', 'search', 'number', 'email', 'url', 'password', 'tel']);

/**
 * Whether keyboard input goes to a text field (then play keys are left alone). Selects, sliders and
 * buttons are not text fields: play keys work there too (and do not change them).
 */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.tagName === 'TEXTAREA') return true;
  return target instanceof HTMLInputElement && TEXT_INPUTS.has(target.type);
}

export const KEY_HINTS = ['←', '→', '↑', 'P', 'D', 'T', '⇧D'];
