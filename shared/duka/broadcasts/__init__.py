"""Broadcasts: the owner sends chosen products to consented customers, paced under the number's
daily messaging limit, and sees what each broadcast brought (`job.py` sends, `report.py` counts).
"""
