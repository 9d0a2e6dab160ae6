"""The rules of the domain, below the flows: content models (directory, survey, calendar) and
their loading, the working calendar, visit slots and the survey report. Pure: no messenger, no
database session; flows and storage may import them, they import neither."""
