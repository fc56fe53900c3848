// The integration API (R27), always for the signed-in user's own tenant, asked in the page's language:
// `lang` on every request and Accept-Language, so messages, explanations and errors come back in it.
export class ApiError extends Error {
  // `issues`: [{field, message}] when the error is about fields of the request (R2, R25).
  constructor(status, message, issues = []) {
    super(message);
    this.status = status;
    this.issues = issues;
  }
}

/** A client of the API at `apiBase` for `token`; `language()` is read at each request. */
export function client(apiBase, token, language) {
  async function request(method, path, { query = {}, body } = {}) {
    const lang = language();
    const parameters = new URLSearchParams({ ...query, lang });
    const response = await fetch(`${apiBase}${path}?${parameters}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        "Accept-Language": lang,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new ApiError(response.status, payload.message ?? response.statusText, payload.issues ?? []);
    }
    return payload;
  }
  const tenantPath = (tenant, ...parts) =>
    ["/tenants", tenant, ...parts].map((part, index) => (index ? encodeURIComponent(part) : part)).join("/");
  return {
    openapi: () => request("GET", "/openapi.json"),
    invoices: (tenant, state, cursor) => {
      const query = {};
      if (state) query.state = state;
      if (cursor) query.cursor = cursor;
      return request("GET", tenantPath(tenant, "invoices"), { query });
    },
    invoice: (tenant, id) => request("GET", tenantPath(tenant, "invoices", id)),
    invoiceAction: (tenant, id, action, body) => request("POST", tenantPath(tenant, "invoices", id, action), { body }),
    settings: (tenant) => request("GET", tenantPath(tenant, "settings")),
    saveSettings: (tenant, settings) => request("PUT", tenantPath(tenant, "settings"), { body: settings }),
    activation: (tenant, action) => request("POST", tenantPath(tenant, "settings", action)),
    runs: () => request("GET", "/runs"),
  };
}
