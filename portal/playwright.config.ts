import { defineConfig } from '@playwright/test'

// Debian's Chromium, never a downloaded browser; a real `kangyun serve --auth` on a small
// synthetic city, started by tests/global-setup.ts.
export default defineConfig({
  testDir: 'tests',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  globalSetup: './tests/global-setup.ts',
  outputDir: 'test-results/output',
  use: {
    baseURL: process.env.KANGYUN_PORTAL_URL,
    testIdAttribute: 'data-test',
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // Without the background-networking flags Chromium keeps calling out to Google's
      // hosts, which a closed network refuses.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
})
