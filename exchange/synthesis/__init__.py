"""What a programme learns from its exchanges: themes, search, selection up the programme, placements, the report.

Everything shown here comes from each exchange's transcript as an export sees it
(`exchange.transcripts.build.fold_for_export`), so consent, off the record, withdrawal and redaction
hold as they do in every export. What the programme itself decides (accepted themes, panel choices,
placements) is an append-only log of programme events (`models.ProgrammeEvent`).
"""
