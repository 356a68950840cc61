/**
 * Watching the steered agent play (dtlens's own MemoryS7 model, no ../shared needed): steering from a
 * link (the window's all-RTG-0 corruption, corrupted − clean at blocks.0.hook_resid_pre, coefficient 1)
 * makes the model's greedy play turn to the wrong object; turning it off mid-episode keeps the episode,
 * shows the unsteered prediction again, and the link restores both.
 */
import { expect, test } from '@playwright/test';

const MODEL = 'MiniGrid-MemoryS7FixedStart-v0.safetensors';

test('steer from a link, watch the steered agent, turn steering off mid-episode', async ({ page }) => {
  await page.goto(`/?model=${MODEL}&seed=3&steer=on&steer.corruption=all-rtg`);
  const card = page.getByRole('region', { name: 'steering' });
  await expect(card.getByTestId('steering-state')).toHaveText('steered ×1', { timeout: 30_000 });
  await expect(page.getByRole('region', { name: 'prediction' })).toContainText('steered');
  await expect(card.getByTestId('steering-description')).toContainText(
    'corrupted − clean at blocks.0.hook_resid_pre',
  );
  await expect(card.getByRole('table', { name: 'unsteered and steered probabilities' })).toBeVisible();
  const step = page.getByRole('button', { name: 'Step', exact: true });
  for (let k = 1; k <= 5; k++) {
    await step.click();
    await expect(page.getByTestId('current-time')).toHaveText(String(k));
  }
  // steered, the agent turns right at step 5 (towards the object the instruction does not match)
  await expect(page).toHaveURL(/actions=22221(&|$)/);
  await card.getByRole('button', { name: 'Turn off' }).click();
  await expect(card.getByTestId('steering-state')).toHaveText('steering off');
  await expect(page).toHaveURL(/steer=off/);
  await expect(page.getByRole('region', { name: 'prediction' })).not.toContainText('steered');
  await step.click();
  await expect(page.getByTestId('current-time')).toHaveText('6');
  await expect(page).toHaveURL(/actions=22221\d(&|$)/);
  // the link restores the episode and the steering (off)
  await page.reload();
  await expect(page.getByTestId('current-time')).toHaveText('6', { timeout: 30_000 });
  await expect(page.getByRole('region', { name: 'steering' }).getByTestId('steering-state')).toHaveText(
    'steering off',
  );
});
