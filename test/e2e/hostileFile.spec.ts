/**
 * A hostile file dropped into the app meets the same limits as in the CLI (the loaders are isomorphic):
 * a 247 KB zip whose 4096 central records share one deflated entry (declaring 4 GiB) is refused with the
 * typed message before anything is inflated, and the app keeps working with the model it had.
 */
import { expect, test } from '@playwright/test';
import { ATTACKS } from '../fuzz/attacks.ts';

test('a zip bomb dropped into the app shows the typed limit error and the app stays usable', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByTestId('current-time')).toHaveText('0', { timeout: 30_000 });
  const bomb = ATTACKS.find((a) => a.name.startsWith('4096 central records'))!;
  await page.getByTestId('file-input').setInputFiles({
    name: 'bomb.pt',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(bomb.make()),
  });
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('could not open bomb.pt');
  await expect(alert).toContainText('invalid zip archive: entries declare more than the limit of');
  await expect(alert).not.toContainText('unexpected error');
  await page.keyboard.press('ArrowUp');
  await expect(page.getByTestId('current-time')).toHaveText('1');
});
