import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export function loginPage(error?: string): SafeHtml {
  return page(
    { title: 'Log in', nav: 'none', flash: error ? { kind: 'error', text: error } : undefined },
    html`<form method="post" action="/login" class="card login">
  <h1>Log in</h1>
  <p class="small">Enter this agent's API token (<code>server.apiToken</code>, usually <code>OPSAGENT_API_TOKEN</code>).</p>
  <label>API token <input type="password" name="token" required autocomplete="current-password" autofocus></label>
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
