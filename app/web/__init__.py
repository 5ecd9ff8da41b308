"""HTTP behaviour around the routes: request ids and access log, admission, HEAD and
compression, conditional GETs and the response cache, API keys."""
