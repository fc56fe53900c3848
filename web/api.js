// The integration API (R27), always for the signed-in user's own tenant.
export class ApiError extends Error {
  // `issues`: [{field, message}] when the error is about fields of the request (R2, R25).
  constructor(status, message, issues = []) {
    super(message);
    this.status = status;
    this.issues = issues;
  }
}

export function client(apiBase, token) {
  async function request(method, path, body) {
    const response = await fetch(`${apiBase}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
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
  return {
    invoices: (tenant, state, cursor) => {
      const query = new URLSearchParams();
      if (state) query.set("state", state);
      if (cursor) query.set("cursor", cursor);
      return request("GET", `/tenants/${encodeURIComponent(tenant)}/invoices?${query}`);
    },
    invoice: (tenant, id) => request("GET", `/tenants/${encodeURIComponent(tenant)}/invoices/${encodeURIComponent(id)}`),
    invoiceAction: (tenant, id, action, body) =>
      request("POST", `/tenants/${encodeURIComponent(tenant)}/invoices/${encodeURIComponent(id)}/${action}`, body),
    settings: (tenant) => request("GET", `/tenants/${encodeURIComponent(tenant)}/settings`),
    saveSettings: (tenant, settings) => request("PUT", `/tenants/${encodeURIComponent(tenant)}/settings`, settings),
    activation: (tenant, action) => request("POST", `/tenants/${encodeURIComponent(tenant)}/settings/${action}`),
    runs: () => request("GET", "/runs"),
  };
}
