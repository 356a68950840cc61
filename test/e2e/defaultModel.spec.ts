/**
 * `npm start` with no arguments: the app opens dtlens's own MemoryS7 model (models/, no ../shared
 * needed), and following the model's greedy action plays the episode. At the default target RTG 0.9 it
 * reaches the matching object; at target RTG 0 it walks to the other one (its calibration: 100% and 0%).
 */
import { type Page, expect, test } from '@playwright/test';

const DEFAULT_MODEL = 'MiniGrid-MemoryS7FixedStart-v0.safetensors';
/** DTI's keyboard bindings by action name. */
const KEY_FOR_ACTION: Record<string, string> = {
  left: 'ArrowLeft',
  right: 'ArrowRight',
  forward: 'ArrowUp',
  pickup: 'p',
  drop: 'd',
  toggle: 't',
  done: 'Shift+D',
};

/** Presses the greedy action's key until the episode ends (at most `maxSteps`); returns the reward. */
async function followGreedy(page: Page, maxSteps: number): Promise<number> {
  const end = page.getByTestId('episode-end');
  for (let k = 0; k < maxSteps && !(await end.isVisible()); k++) {
    const action = (await page.getByTestId('greedy-action').textContent()) ?? '';
    expect(KEY_FOR_ACTION, `greedy action '${action}'`).toHaveProperty(action);
    await page.keyboard.press(KEY_FOR_ACTION[action]);
    await expect(page.getByTestId('current-time')).toHaveText(String(k + 1));
  }
  await expect(end).toBeVisible();
  return Number(await page.locator('.stat', { hasText: 'Reward' }).locator('strong').textContent());
}

test('opens on the default MemoryS7 model, which solves the episode at RTG 0.9', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('current-time')).toHaveText('0', { timeout: 30_000 });
  await expect(page).toHaveURL(new RegExp(`model=${DEFAULT_MODEL.replace(/\./g, '\\.')}`));
  await expect(page.getByTestId('current-rtg')).toHaveText('0.90');
  expect(await followGreedy(page, 20)).toBeGreaterThan(0.9);
});

test('the default model goes to the wrong object when asked for return 0', async ({ page }) => {
  await page.goto(`/?model=${DEFAULT_MODEL}&rtg=0`);
  await expect(page.getByTestId('current-time')).toHaveText('0', { timeout: 30_000 });
  await expect(page.getByTestId('current-rtg')).toHaveText('0.00');
  expect(await followGreedy(page, 20)).toBe(0);
});
