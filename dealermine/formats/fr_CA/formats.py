# Canadian French as the Office québécois de la langue française writes it: "30 nov. 2026", "14 h 05",
# 1 234,56 (no-break space between thousands). Everything not set here comes from Django's own fr_CA.
DATE_FORMAT = "j N Y"
TIME_FORMAT = "H\xa0\\h\xa0i"
DATETIME_FORMAT = "j N Y, H\xa0\\h\xa0i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H\xa0\\h\xa0i"
MONTH_DAY_FORMAT = "j N"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
