// The person at the identity provider's pages, in Debian's Chromium
// (playwright-core): opens ADDRESS, types CODE when asked (device flow),
// signs in (oidc-provider's development login takes any name), and
// confirms, until the provider says so or sends the browser back to the
// app's loopback address.
//
// usage: node approve.mjs ADDRESS [CODE]
import { chromium } from 'playwright-core';

const [address, code] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--no-proxy-server', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage();
  await page.goto(address);
  for (let step = 0; step < 12; step += 1) {
    await page.waitForLoadState('load');
    const url = page.url();
    const text = (await page.textContent('body').catch(() => '')) ?? '';
    console.log(`[person] step ${step}: ${url.split('?')[0]} | ${text.replace(/\s+/g, ' ').slice(0, 90)}`);
    if (/\/callback/.test(url) || /Sign-in Success/i.test(text)) {
      process.exitCode = 0;
      break;
    }
    if (code && (await page.$('input[name="user_code"]:visible'))) {
      await page.fill('input[name="user_code"]:visible', code);
    }
    if (await page.$('input[name="login"]:visible')) {
      await page.fill('input[name="login"]', 'technician');
      await page.fill('input[name="password"]', 'any');
    }
    const button = await page.$('button[type="submit"]:not([name="abort"]):visible');
    if (!button) {
      console.log('[person] nothing to press');
      process.exitCode = 1;
      break;
    }
    await Promise.all([page.waitForNavigation({ timeout: 15000 }).catch(() => {}), button.click()]);
  }
} finally {
  await browser.close();
}
