"""HTTP plumbing shared by the API and the pages: access guard, headers, rate limits."""
