"""Demo data for the CRM: ``vocabulary`` holds the word lists and catalogues, ``generate``
makes the rows with numpy (pure, no ORM), ``load`` writes them in bulk (COPY on PostgreSQL).
The ``seed_demo`` management command ties them together."""
