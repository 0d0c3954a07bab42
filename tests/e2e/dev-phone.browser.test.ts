/**
 * The dev phone in a real browser, on Lien's fully embedded default (`npm start` with no settings): the
 * demo person texts from the phone pane, the SMS shows in the worker's room pane, the worker answers
 * there, and the answer reaches the phone, marked delivered. Debian's Chromium, driven by playwright-core.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnLien, type LienProcess } from '../support/process.js';
import { waitFor } from '../support/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.join(os.tmpdir(), 'dev-phone.png');

describe('the dev phone in a browser', () => {
  let dataDir = '';
  let lien: LienProcess | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    if (lien && lien.child.exitCode === null && lien.child.signalCode === null) {
      lien.child.kill('SIGTERM');
      await lien.exited().catch(() => lien?.child.kill('SIGKILL'));
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('carries an SMS to the worker\'s room and the reply back to the phone', { timeout: 240_000 }, async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lien-devphone-'));
    lien = spawnLien({ LIEN_DATA_DIR: dataDir, LIEN_TOOLS_DIR: inject('toolsDir'), PORT: '0', LOG_LEVEL: 'warn' });
    const url = await lien.listening();
    await waitFor('the dev phone line', async () => lien?.output().includes(`Dev phone: open ${url}/dev/phone`));

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    await page.goto(`${url}/dev/phone`);
    expect(await page.title()).toContain('Lien');
    await page.locator('#phone-number', { hasText: '+33600000001' }).waitFor();
    await expect.poll(() => page.locator('#phone-title').innerText()).toContain('Camille Martin');
    await expect.poll(() => page.locator('#room-worker').innerText()).toContain('@referente:localhost');

    // The person texts.
    const sms = 'Bonjour, je voudrais un rendez-vous pour mon dossier CAF.';
    await page.getByPlaceholder('Écrire un SMS…').fill(sms);
    await page.getByRole('button', { name: 'Envoyer le SMS' }).click();
    await page.locator('#phone li.inbound', { hasText: sms }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#sms-text').inputValue()).toBe('');
    // Lien posts it in the portal room, where the worker sees it under the person's name.
    await page.locator('#room li', { hasText: `Camille Martin: ${sms}` }).waitFor({ timeout: 30_000 });

    // The worker answers from the room.
    const reply = 'Bonjour Camille, je vous propose jeudi à 10 h.';
    await page.getByPlaceholder('Répondre à la personne…').fill(reply);
    await page.getByRole('button', { name: 'Répondre' }).click();
    await page.locator('#room li.mine', { hasText: reply }).waitFor({ timeout: 15_000 });
    // The answer reaches the phone as an SMS, and is reported delivered there and in the room.
    await page.locator('#phone li.outbound', { hasText: reply }).waitFor({ timeout: 30_000 });
    await page.locator('#phone li.outbound', { hasText: reply }).filter({ hasText: 'reçu' }).waitFor({ timeout: 30_000 });
    await page.locator('#room li.mine', { hasText: '✅ reçu' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('#room li.mine').innerText()).toContain('📤 envoyé');

    // One bubble each: nothing shown twice. The demo person's first SMS brought the first-contact notice
    // (and, outside office hours, the "closed" answer).
    const bubbles = await page.locator('#phone li').allInnerTexts();
    for (const text of [sms, 'Bonjour, ici Équipe démo.', reply]) expect(bubbles.filter((b) => b.includes(text)), text).toHaveLength(1);
    expect(bubbles[0]).toContain(sms);
    expect(await page.locator('#room li', { hasText: sms }).count()).toBe(1);
    expect(await page.locator('#room li', { hasText: reply }).count()).toBe(1);
    await expect.poll(() => page.locator('.error').allInnerTexts()).toEqual(['', '']);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(pageErrors).toEqual([]);

    lien.child.kill('SIGTERM');
    expect(await lien.exited()).toBe(0);
  });
});
