// The customer's guidance pages in a real browser (headless Chromium at a
// phone's viewport, 390×844): every step in every language renders with no
// horizontal scroll, asks nothing of any other origin, and leaves a
// screenshot as a test artifact. Run by .ci/run against `stepwise serve`:
//   node guidance_pages.mjs http://127.0.0.1:PORT target/artifacts en,fr,...
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [base, artifacts, langList] = process.argv.slice(2);
if (!base || !artifacts || !langList) {
  console.error("usage: guidance_pages.mjs BASE_URL ARTIFACT_DIR LANG,LANG,...");
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });
const origin = new URL(base).origin;
const steps = ["trusterPhoneNumber", "deviceActivation", "mediumCarKey", "unknownStep"];
const langs = langList.split(",");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const failures = [];
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const elsewhere = [];
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== origin) elsewhere.push(request.url());
  });
  for (const step of steps) {
    for (const lang of langs) {
      const url = `${base}/guidance/${step}?lang=${lang}`;
      const response = await page.goto(url, { waitUntil: "load" });
      if (!response || response.status() !== 200) {
        failures.push(`${url}: status ${response && response.status()}`);
        continue;
      }
      const { scrollWidth, clientWidth, htmlLang, items } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        htmlLang: document.documentElement.lang,
        items: document.querySelectorAll("ol li").length,
      }));
      if (scrollWidth > clientWidth) {
        failures.push(`${url}: scrolls sideways (${scrollWidth} > ${clientWidth})`);
      }
      if (htmlLang !== lang) failures.push(`${url}: <html lang="${htmlLang}">`);
      if (items < 1) failures.push(`${url}: no steps for the customer`);
      if (lang === "en" || step === "deviceActivation") {
        await page.screenshot({ path: `${artifacts}/guidance-${step}-${lang}.png`, fullPage: true });
      }
    }
  }
  if (elsewhere.length) failures.push(`requests left the page's origin: ${elsewhere.join(", ")}`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log(`guidance pages: ${steps.length * langs.length} pages fine at 390x844; screenshots in ${artifacts}`);
