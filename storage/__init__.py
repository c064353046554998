"""DuckDB storage: connection discipline, migrations, views, idempotent bulk writes, reads."""
