import { useState } from "preact/hooks";
import { describe } from "../api/problem";
import type { Rest } from "../api/rest";
import { type Identity, identify } from "../session";

/** Sign in with a development token (POST /api/v1/dev/tokens: email and name), or paste a token. */
export function SignIn({ rest, onSignedIn }: { rest: Rest; onSignedIn(identity: Identity): void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [pasted, setPasted] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const requestToken = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await rest.devToken(email.trim(), name.trim());
      const identity = identify(answer.token);
      if (identity) onSignedIn(identity);
      else setError("The server answered a token this page cannot read");
    } catch (failure) {
      setError(describe(failure));
    } finally {
      setBusy(false);
    }
  };

  const usePasted = (e: Event): void => {
    e.preventDefault();
    const identity = identify(pasted);
    if (identity) onSignedIn(identity);
    else setError("That is not a token (a JWT with a subject)");
  };

  return (
    <main class="signin">
      <h1>Taskwire</h1>
      <form onSubmit={requestToken} data-testid="signin-form">
        <h2>Sign in</h2>
        <label>
          Email
          <input type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} data-testid="signin-email" autoComplete="email" />
        </label>
        <label>
          Name
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="signin-name" autoComplete="name" />
        </label>
        <button type="submit" disabled={busy} data-testid="signin-submit">
          Sign in
        </button>
        <p class="muted">Development sign-in: the server issues a token for this email and name.</p>
      </form>
      <form onSubmit={usePasted}>
        <h2>Or paste a token</h2>
        <textarea rows={3} value={pasted} onInput={(e) => setPasted(e.currentTarget.value)} data-testid="signin-token" aria-label="Token" />
        <button type="submit" data-testid="signin-token-submit">
          Use this token
        </button>
      </form>
      {error && (
        <p class="notice notice-error" role="alert" data-testid="notice">
          {error}
        </p>
      )}
    </main>
  );
}
