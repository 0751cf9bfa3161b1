import { useState } from 'preact/hooks';
import { ProblemView, useAction } from '../components';
import type { Role } from '../models';
import { roleOfKey } from '../role';

/** The key is checked against the API before it is kept; a refusal shows the problem. */
export function SignIn({ onSignedIn }: { onSignedIn: (key: string, role: Role) => void }) {
  const [key, setKey] = useState('');
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    await action.run(async () => onSignedIn(trimmed, await roleOfKey(trimmed)));
  };
  return (
    <main id="main" class="sign-in">
      <h1>Kalma console</h1>
      <p>
        Operations staff and agencies sign in with their API key. It stays in this tab only and is forgotten on Sign out or when the tab
        closes.
      </p>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
        />
        <button type="submit" disabled={action.busy || key.trim() === ''}>
          Sign in
        </button>
      </form>
      <ProblemView problem={action.problem} />
    </main>
  );
}
