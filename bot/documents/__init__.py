"""Documents: evidence packs, the progress report and charts (PDF, XLSX, CSV, DOCX, PNG)."""
