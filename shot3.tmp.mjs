import { chromium } from '@playwright/test';
const [url, out, sel] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu'] });
const p = await b.newPage({ viewport: { width: 1400, height: 1000 } });
await p.goto(url);
await p.locator(sel).first().scrollIntoViewIfNeeded();
await p.locator(sel).first().screenshot({ path: out });
await b.close();
