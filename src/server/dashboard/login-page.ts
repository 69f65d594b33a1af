import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

/** `api`: the operator's server.apiToken; `local`: the token the daemon generated (no server.apiToken set). */
export type LoginCredential = 'api' | 'local';

export function loginPage(credential: LoginCredential, error?: string): SafeHtml {
  const hint =
    credential === 'api'
      ? html`Enter this agent's API token (<code>server.apiToken</code>, usually <code>OPSAGENT_API_TOKEN</code>).`
      : html`Enter this agent's local token: on the agent's machine, as the agent's user, run <code>opsagent token</code>.`;
  return page(
    { title: 'Log in', nav: 'none', flash: error ? { kind: 'error', text: error } : undefined },
    html`<form method="post" action="/login" class="card login">
  <h1>Log in</h1>
  <p class="small">${hint}</p>
  <label>${credential === 'api' ? 'API token' : 'Local token'} <input type="password" name="token" required autocomplete="current-password" autofocus></label>
  <button type="submit">Log in</button>
</form>`,
  );
}

export function errorPage(status: number, message: string, logoutCsrf: string): SafeHtml {
  return page(
    { title: `Error ${status}`, nav: 'issues', logoutCsrf },
    html`<h1>${status === 404 ? 'Not found' : 'Something went wrong'}</h1><p class="pre">${message}</p><p><a href="/">Back to issues</a></p>`,
  );
}
