"""Whole-site backups that restore, and upgrades that can be undone.

``flask backup DEST`` writes one archive encrypted to the operators' age public keys
(the server holds no key that reads it): the database's consistent snapshot, every
upload, the settings without secrets and a manifest of hashes and the schema
revision. ``flask restore`` puts an archive into an empty site, ``flask backup
--verify`` into a scratch one to compare, and ``flask upgrade`` backs up, migrates,
checks, and names the one command that rolls back.

- ``archive``: the encrypted tar, streamed both ways, and the keys;
- ``database``: SQLite's online backup or pg_dump, their restore, table fingerprints;
- ``settings``: the instance settings without secrets;
- ``site``: backup, restore and verify of the whole site;
- ``prune``: which old archives to keep;
- ``status``: the last backup's age and whether it was verified (for health checks);
- ``upgrade``: ``flask upgrade``;
- ``cli``: the commands.

The commands are registered by ``blogapp.commands``; the package registers no jobs,
mail or screens, so it has no ``init_app``."""
