import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { verify } from '../helpers/api-keys';
import { PASSWORD, signUp } from '../helpers/factories';
import { startTestServer, type TestServer } from '../helpers/server';
import { signInThroughPage } from '../helpers/web-app';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';

/**
 * GraphiQL in a real headless Chromium, driven as a person would: the ready walkthrough's
 * operations are run with the run button, the session token goes into the headers editor,
 * and the API secret is read off the result pane. Every request that is not to this machine
 * is aborted and counted: the page must work, and make none, offline.
 */

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');

/** Replace the whole text of a CodeMirror editor the way a person pastes: select all, insert. */
async function replaceEditorText(page: Page, editorSelector: string, text: string): Promise<void> {
  const editor = page.locator(editorSelector).first();
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await expectEditorText(page, editorSelector, text);
}

/** The little of the DOM these page functions touch (the project compiles without lib "dom"). */
interface BrowserGlobals {
  document: { querySelector(selector: string): { CodeMirror?: { getValue(): string } } | null };
}

/**
 * What a CodeMirror editor holds. CodeMirror draws only the lines in view (with line numbers in
 * between), so the text is read from the editor the pane shows, not from its drawn lines.
 */
async function editorText(page: Page, editorSelector: string): Promise<string> {
  return page.evaluate((selector) => {
    const el = (globalThis as unknown as BrowserGlobals).document.querySelector(
      `${selector} .CodeMirror`,
    );
    if (!el?.CodeMirror) throw new Error(`no editor at ${selector}`);
    return el.CodeMirror.getValue();
  }, editorSelector);
}

async function waitForEditorText(
  page: Page,
  editorSelector: string,
  test: { equals: string } | { matches: RegExp },
  timeout = 10_000,
): Promise<void> {
  await page.waitForFunction(
    ([selector, equals, source]) => {
      const el = (globalThis as unknown as BrowserGlobals).document.querySelector(
        `${selector} .CodeMirror`,
      );
      const value = el?.CodeMirror?.getValue();
      if (value === undefined) return false;
      return equals !== null
        ? value.replace(/\s+/g, '') === equals
        : new RegExp(source!).test(value);
    },
    [
      editorSelector,
      'equals' in test ? test.equals.replace(/\s+/g, '') : null,
      'matches' in test ? test.matches.source : null,
    ] as const,
    { timeout },
  );
}

async function expectEditorText(page: Page, editorSelector: string, text: string): Promise<void> {
  await waitForEditorText(page, editorSelector, { equals: text });
}

const QUERY_EDITOR = '.graphiql-query-editor';
const VARIABLES_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
const RESULT = '.graphiql-response .result-window';

/** Press the run button and pick one operation of the walkthrough; wait for its answer. */
async function runOperation(page: Page, name: string, expectInResult: RegExp): Promise<string> {
  await page.locator('.graphiql-execute-button').click();
  await page.getByRole('menuitem', { name, exact: true }).click();
  await waitForEditorText(page, RESULT, { matches: expectInResult }, 20_000);
  return editorText(page, RESULT);
}

async function showEditorTool(page: Page, tool: 'Variables' | 'Headers'): Promise<void> {
  await page
    .locator('.graphiql-editor-tools')
    .getByRole('button', { name: tool, exact: true })
    .click();
  await page.locator(`section.graphiql-editor-tool[aria-label="${tool}"]`).waitFor();
}

describeWithChromium('GraphiQL in headless Chromium, offline', () => {
  let t: TestServer;
  let b: IsolatedBrowser | undefined;

  beforeAll(async () => {
    t = await startTestServer();
    b = await launchIsolated();
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  test('an admin logs in, sets the Authorization header, creates a team and an API key, and reads the secret', async () => {
    const { page } = b!;
    const admin = await signUp(t, 'playground-admin');

    const response = await page.goto(`${t.url}/graphql`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");

    // GraphiQL rendered, with the walkthrough in the query editor and the example header
    await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });
    await page.locator(`${QUERY_EDITOR} .CodeMirror`).waitFor();
    const walkthrough = await editorText(page, QUERY_EDITOR);
    for (const op of [
      'LogIn',
      'CreateTeam',
      'InviteMember',
      'GrantPermission',
      'CreateApiKey',
      'RegenerateSecret',
      'RevokeApiKey',
      'AuditLog',
    ]) {
      expect(walkthrough).toMatch(new RegExp(`(mutation|query) ${op}\\(`));
    }
    await showEditorTool(page, 'Headers');
    expect((await editorText(page, VARIABLES_EDITOR)).replace(/\s+/g, '')).toBe(
      '{"Authorization":"Bearer<tokenfromlogIn>"}',
    );

    // The schema arrived (introspection through the page's fetcher): the docs explorer lists the root types
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    try {
      await docs.getByText('Mutation', { exact: true }).waitFor({ timeout: 20_000 });
    } catch (error) {
      // GraphiQL shows why the schema did not load in its result pane
      const shown = await editorText(page, RESULT).catch(() => '');
      throw new Error(
        `GraphiQL did not load the schema (introspection through the page failed): ${shown || (error as Error).message}`,
      );
    }
    await docs.getByText('Mutation', { exact: true }).click();
    await docs.getByText('createApiKey', { exact: true }).first().waitFor();
    // descriptions from the schema are shown
    await expect(docs.innerText()).resolves.toContain('The secret is in this answer only');
    await page.getByRole('button', { name: 'Hide Documentation Explorer' }).click();

    // 1. LogIn, with the example header still in place (the page does not send a <placeholder>)
    await showEditorTool(page, 'Variables');
    await replaceEditorText(
      page,
      VARIABLES_EDITOR,
      JSON.stringify({ email: admin.email, password: PASSWORD }),
    );
    const logIn = await runOperation(page, 'LogIn', /"token":\s*"emst_/);
    const token = /"token":\s*"(emst_[0-9A-Za-z]+)"/.exec(logIn)?.[1];
    expect(token).toBeDefined();

    // 2. the session token goes into the headers editor
    await showEditorTool(page, 'Headers');
    await replaceEditorText(
      page,
      VARIABLES_EDITOR,
      JSON.stringify({ Authorization: `Bearer ${token}` }),
    );

    // 3. CreateTeam
    await showEditorTool(page, 'Variables');
    await replaceEditorText(
      page,
      VARIABLES_EDITOR,
      JSON.stringify({ teamName: 'Playground team' }),
    );
    const team = await runOperation(page, 'CreateTeam', /"createTeam":/);
    expect(team).toContain('"Playground team"');
    const teamId = /"createTeam":\s*{\s*"id":\s*"([0-9a-f-]{36})"/.exec(team)?.[1];
    expect(teamId).toBeDefined();

    // 4. CreateApiKey: the secret is read off the result pane
    await replaceEditorText(
      page,
      VARIABLES_EDITOR,
      JSON.stringify({ teamId, keyName: 'from the playground', scopes: ['team:read'] }),
    );
    const created = await runOperation(page, 'CreateApiKey', /"secret":\s*"emps_/);
    const secret = /"secret":\s*"([^"]+)"/.exec(created)?.[1] ?? '';
    expect(secret).toMatch(/^emps_[0-9A-Za-z]{49}$/);
    const key = /"key":\s*"(empk_[0-9A-Za-z]{24})"/.exec(created)?.[1] ?? '';
    expect(key).toMatch(/^empk_/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'playground.png') });

    // the secret shown is the real one
    await expect(verify(t, key, secret)).resolves.toMatchObject({
      valid: true,
      code: 'VALID',
      teamId,
    });

    // 5. AuditLog: the walkthrough's last step shows what happened
    const audit = await runOperation(page, 'AuditLog', /"apiKey\.created"/);
    expect(audit).toContain('"team.created"');

    // offline: not one request left this machine, and the CSP held without a violation
    if (b!.pageErrors.length) console.log(`page console errors:\n${b!.pageErrors.join('\n')}`);
    expect(b!.external).toEqual([]);
    expect(b!.cspViolations).toEqual([]);
    expect(b!.pageErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  }, 120_000);

  test('signed in to the web app, an admin is signed in here too: no token to paste', async () => {
    const { page } = b!;
    const admin = await signUp(t, 'playground-cookie');
    await signInThroughPage(page, t.url, admin.email);
    await page.goto(`${t.url}/graphql`, { waitUntil: 'load' });
    await page.locator(`${QUERY_EDITOR} .CodeMirror`).waitFor({ timeout: 30_000 });
    await replaceEditorText(page, QUERY_EDITOR, '{ me { email } }');
    // GraphiQL ignores the run button until it has read the schema: press it until it runs
    for (let attempt = 1; ; attempt++) {
      await page.locator('.graphiql-execute-button').click();
      try {
        await waitForEditorText(page, RESULT, { matches: /"email"/ }, 3_000);
        break;
      } catch (error) {
        if (attempt === 6) throw error;
      }
    }
    expect(await editorText(page, RESULT)).toContain(admin.email);
    expect(b!.external).toEqual([]);
  }, 60_000);
});
