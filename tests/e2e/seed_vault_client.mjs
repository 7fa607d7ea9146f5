// The vault's reference JavaScript client (docs/api/vault.md), verbatim, driven through its
// workflow plus a delete: `node seed_vault_client.mjs <base URL> <JWT>` prints each
// answer as one JSON object for tests/e2e/test_seed_vault_js_client.py to check.

// Create API key service
class APIKeyService {
  constructor(baseURL, token) {
    this.baseURL = baseURL;
    this.token = token;
  }

  async createAPIKey(keyType, apiKey, keyName) {
    const response = await fetch(`${this.baseURL}/api/v1/api-keys/`, {
      method: 'POST',
      headers: {
        'Authorization': `Bearer ${this.token}`,
        'Content-Type': 'application/json'
      },
      body: JSON.stringify({
        key_type: keyType,
        api_key: apiKey,
        key_name: keyName
      })
    });

    return await response.json();
  }

  async testAPIKey(keyType) {
    const response = await fetch(`${this.baseURL}/api/v1/api-keys/test-by-type/${keyType}`, {
      method: 'POST',
      headers: {
        'Authorization': `Bearer ${this.token}`
      }
    });

    return await response.json();
  }

  async getAllAPIKeys(includeInactive = false) {
    const response = await fetch(`${this.baseURL}/api/v1/api-keys/?include_inactive=${includeInactive}`, {
      headers: {
        'Authorization': `Bearer ${this.token}`
      }
    });

    return await response.json();
  }
}

// The API has DELETE and PUT but the class has no method for them; the same style:
async function call(service, method, path, body) {
  const response = await fetch(`${service.baseURL}${path}`, {
    method,
    headers: { 'Authorization': `Bearer ${service.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: response.status === 204 ? null : await response.json() };
}

const [baseURL, token] = process.argv.slice(2);
const apiKeyService = new APIKeyService(baseURL, token);
const out = {};
out.newKey = await apiKeyService.createAPIKey('news_api', 'your-api-key', 'My News Key');
out.testResult = await apiKeyService.testAPIKey('news_api');
out.allKeys = await apiKeyService.getAllAPIKeys();
out.deleted = await call(apiKeyService, 'DELETE', `/api/v1/api-keys/${out.newKey.id}`);
out.activeAfterDelete = await apiKeyService.getAllAPIKeys();
out.allAfterDelete = await apiKeyService.getAllAPIKeys(true);
out.fetchedAfterDelete = await call(apiKeyService, 'GET', `/api/v1/api-keys/${out.newKey.id}`);
out.restored = await call(apiKeyService, 'PUT', `/api/v1/api-keys/${out.newKey.id}`, { is_active: true });
out.activeAfterRestore = await apiKeyService.getAllAPIKeys();
console.log(JSON.stringify(out));
