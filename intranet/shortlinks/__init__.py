"""Short links on the site's own domain (`/s/<code>`) for SMS: a random base62 code that redirects
to a path of the site until it expires with what it points to."""
