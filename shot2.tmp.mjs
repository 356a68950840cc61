import { chromium } from '@playwright/test';
const [url, out, h] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu'] });
const p = await b.newPage({ viewport: { width: 1400, height: Number(h ?? 1000) } });
await p.goto(url);
await p.waitForTimeout(500);
await p.screenshot({ path: out, fullPage: false });
await b.close();
