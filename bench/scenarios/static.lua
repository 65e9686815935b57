-- The same GET of the URL's path on every request (/healthz, /readyz, /metrics, trivial app).
done = require("report").done
