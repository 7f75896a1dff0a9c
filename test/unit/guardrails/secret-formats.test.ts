import { describe, expect, it } from 'vitest';
import { findSecrets, GuardrailsMonitor, type SecretType } from '../../../src/guardrails/index.js';

// Well-formed but fake credentials, one or more per format a game backend meets (gitleaks default
// rules and secretlint's recommended preset). Built from pieces so no literal looks like a live key.
const a36 = 'aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4';
const hex32 = '0123456789abcdef0123456789ABCDEF';
const POSITIVES: Array<[string, SecretType]> = [
  [`Use this: sk-proj-${a36}${a36}`, 'openai_key'],
  [`ANTHROPIC_API_KEY=sk-ant-api03-${a36}${a36}${a36.slice(0, 21)}AA`, 'anthropic_key'],
  [`stripe live key sk_live_${a36.slice(0, 24)}`, 'stripe_key'],
  [`STRIPE_SECRET_KEY=sk_test_51${a36}`, 'stripe_key'],
  [`restricted rk_live_${a36.slice(0, 24)}`, 'stripe_key'],
  [`webhook secret whsec_${a36}`, 'stripe_key'],
  [`slack xoxb-123456789012-1234567890123-${a36.slice(0, 24)}`, 'slack_token'],
  [`https://hooks.slack.com/services/T00000000/B00000000/${a36.slice(0, 24)}`, 'slack_webhook'],
  [`bot token MTA1MjM0NTY3ODkwMTIzNDU2Nw.GaBcDe.${a36.slice(0, 38)}`, 'discord_token'],
  [`https://discord.com/api/webhooks/123456789012345678/${a36}${a36.slice(0, 30)}`, 'discord_webhook'],
  [`TWITCH_CLIENT_SECRET = "${a36.toLowerCase().slice(0, 30)}"`, 'twitch_token'],
  [`steam_web_api_key: ${hex32.toUpperCase()}`, 'steam_api_key'],
  [`token ghp_${a36}`, 'github_token'],
  [`github_pat_11ABCDEFG0${a36}${a36}`, 'github_token'],
  [`gitlab glpat-${a36.slice(0, 20)}`, 'gitlab_token'],
  ['aws AKIAIOSFODNN7EXAMPLE', 'aws_access_key'],
  ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_key'],
  [`google AIzaSy${a36.slice(0, 33)}`, 'google_api_key'],
  [`client_secret GOCSPX-${a36.slice(0, 28)}`, 'google_oauth_secret'],
  [`AZURE_CLIENT_SECRET=Xy78Q~${a36.slice(0, 32)}`, 'azure_secret'],
  [`DefaultEndpointsProtocol=https;AccountName=game;AccountKey=${'Ab3/'.repeat(21)}Ab==;`, 'azure_secret'],
  [`https://game.blob.core.windows.net/saves?sv=2022-11-02&sig=${'Ab3%2B'.repeat(8)}`, 'azure_secret'],
  [`SENDGRID_API_KEY=SG.${a36.slice(0, 22)}.${a36}${a36.slice(0, 7)}`, 'sendgrid_key'],
  [`twilio SK${hex32}`, 'twilio_key'],
  [`//registry.npmjs.org/:_authToken=npm_${a36}`, 'npm_token'],
  ['jwt=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJnYW1lIn0.c2lnbmF0dXJlLXZhbHVlLWhlcmU', 'jwt'],
  ['-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----', 'private_key'],
  ['-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----', 'private_key'],
  [`api_key = "Zx8vQ2mN7pL4kR9tW3yB6cF1"`, 'generic_secret'],
  ['password: hunter2', 'password'],
  ['passwd=swordfish', 'password'],
  ['DB_PASSWORD="c0rrect-h0rse"', 'password'],
  ['login with admin / password: Tr0ub4dor&3 please', 'password'],
];

// Ordinary game text: NPC lines, item and quest codes, hashes and hex in lore, prices, versions.
const GAME_TEXT = [
  'Welcome, traveller! The inn has warm stew and a soft bed for 5 silver.',
  'Speak, friend, and enter. The password: mellon.',
  'The secret passage lies behind the tapestry, past the third torch.',
  'A token of my gratitude: take this brass key to the cellar.',
  'Steam rises from the vents of the old foundry; mind the pipes.',
  'The Steam-powered golem guards the bridge at night.',
  'Twitch your ear twice if the guard looks your way.',
  'Item SKU-4411-A restocked: Skyrim-style iron dagger (SK-1138).',
  'ITEM_SWORD_0042, ITEM_SHIELD_0007 and QUEST_MAIN_03_STEP_2 unlocked.',
  'The runes on the door read 5d41402abc4b2a76b9719d911017c592.',
  'Commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 fixed the lantern glitch.',
  'The oracle chanted e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 three times.',
  'Patch 1.12.3-rc.1 brings new mounts; build 2024.06.01+5.',
  'Your save slot SAVE_ABCDEF123456 was written at 21:14.',
  'Ask the smith: "key = the iron one, not the brass one."',
  'The pass through the mountains opens at dawn.',
  'Order 66-B, quantity 12, price 3.50 gold each.',
  'She whispered: "skeleton-key-of-the-north-tower" and the lock clicked.',
  'MNOPQRSTUVWXYZ is carved on the wall, then ABCDEFGHIJ.',
  'Task-force-2024-alpha-bravo reports to the harbour.',
  'Grab the Sk8r-board from the shop, only 120 coins.',
  'The bard sang of AKIRA the brave and ASIA the wise.',
  'GR1348 was the year the dragon fell.',
  'Press Q~ to quick-save, or hold E to interact.',
  'Trade route sig=north, stops at Whiterun and Riverwood.',
  'The guild password is changing tomorrow; ask Brynjolf.',
  'npm_install is not a spell, apprentice.',
  'Deposit 250 gold; account key: ask the banker in person.',
  'SG.4 is the fourth sigil of the Silver Guard.',
  'The credentials: a sealed letter from the Jarl himself.',
];

describe('secret formats (gitleaks / secretlint coverage) and precision on game text', () => {
  it.each(POSITIVES)('finds %j as %s', (text, type) => {
    const found = findSecrets(text);
    expect(found.map((m) => m.type)).toContain(type);
  });

  it('the monitor reports every format as a secret violation', () => {
    const g = new GuardrailsMonitor({ policy: 'mature' });
    for (const [text] of POSITIVES) {
      const r = g.checkSync({ text, stage: 'output' });
      expect(
        r.violations.some((v) => v.category === 'secret'),
        text,
      ).toBe(true);
    }
  });

  it('flags none of the ordinary game lines (no false positives)', () => {
    const falsePositives = GAME_TEXT.map((text) => ({ text, found: findSecrets(text) })).filter(
      (x) => x.found.length > 0,
    );
    expect(falsePositives).toEqual([]);
  });
});
