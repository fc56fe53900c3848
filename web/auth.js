// Sign-in: the ID token is kept in this tab's session storage only (never a cookie, never a URL).
// A token is taken only as the end of a sign-in this tab started: before leaving, the page stores a
// random `state` (and, deployed, the PKCE verifier); an answer without that state is dropped, so a
// link carrying somebody else's token never switches the tab's tenant. Deployed, Cognito's managed
// login answers by the authorization code flow with PKCE; locally, `local serve`'s sign-in endpoint
// answers with the token in the fragment (#id_token=...&state=...).
const TOKEN_KEY = "autodispatch.id_token";
const VERIFIER_KEY = "autodispatch.pkce_verifier";
const STATE_KEY = "autodispatch.sign_in_state";
const TENANT_CLAIM = "custom:tenant_id";

function base64UrlDecode(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return new TextDecoder().decode(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)));
}

function base64UrlEncode(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(bytes) {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A new sign-in's state, remembered by this tab until its answer comes back. */
function startSignIn() {
  const state = randomText(16);
  sessionStorage.setItem(STATE_KEY, state);
  return state;
}

/** Whether an answer belongs to the sign-in this tab started; a state is good for one answer only. */
function isOwnAnswer(state) {
  const expected = sessionStorage.getItem(STATE_KEY);
  sessionStorage.removeItem(STATE_KEY);
  return Boolean(expected) && state === expected;
}

/** Take the local sign-in's answer from the fragment; a token in it always leaves the address bar. */
export function takeTokenFromFragment() {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#\/?/, ""));
  const token = fragment.get("id_token");
  if (!token) return false;
  // The token must not stay in the address bar, the history or a bookmark, taken or not.
  window.history.replaceState(null, "", `${window.location.pathname}#/invoices`);
  if (!isOwnAnswer(fragment.get("state"))) return false;
  sessionStorage.setItem(TOKEN_KEY, token);
  return true;
}

/** The signed-in user, or null: the token, its tenant and whether it is a system client's. */
export function session() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  let claims;
  try {
    claims = JSON.parse(base64UrlDecode(token.split(".")[1] ?? ""));
  } catch {
    signOut();
    return null;
  }
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now()) {
    signOut();
    return null;
  }
  return { token, tenantId: claims[TENANT_CLAIM] ?? null, system: claims.token_use === "access" };
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Local sign-in (`local serve` only): its endpoint mints the tenant's (or the system's) token. */
export function signInLocally(endpoint, { tenant, system }) {
  const query = new URLSearchParams({ state: startSignIn() });
  if (system) query.set("system", "1");
  else query.set("tenant", tenant);
  window.location.assign(`${endpoint}?${query}`);
}

function redirectUri(cognito) {
  return cognito.redirectUri ?? `${window.location.origin}/`;
}

/** Send the browser to Cognito's managed login (authorization code with PKCE). */
export async function signIn(cognito) {
  const verifier = randomText(48);
  sessionStorage.setItem(VERIFIER_KEY, verifier);
  const challenge = base64UrlEncode(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const query = new URLSearchParams({
    response_type: "code", client_id: cognito.clientId, redirect_uri: redirectUri(cognito),
    scope: "openid", state: startSignIn(), code_challenge: challenge, code_challenge_method: "S256",
  });
  window.location.assign(`${cognito.domain}/oauth2/authorize?${query}`);
}

/** Finish Cognito's redirect (?code=...&state=...): exchange the code for the ID token. */
export async function completeSignIn(cognito) {
  const query = new URLSearchParams(window.location.search);
  const code = query.get("code");
  if (!code || !cognito) return false;
  const verifier = sessionStorage.getItem(VERIFIER_KEY);
  sessionStorage.removeItem(VERIFIER_KEY);
  window.history.replaceState(null, "", `${window.location.pathname}#/invoices`);
  if (!isOwnAnswer(query.get("state")) || !verifier) return false;
  const response = await fetch(`${cognito.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", client_id: cognito.clientId, code,
      redirect_uri: redirectUri(cognito), code_verifier: verifier,
    }),
  });
  if (!response.ok) return false;
  const tokens = await response.json();
  sessionStorage.setItem(TOKEN_KEY, tokens.id_token);
  return true;
}
