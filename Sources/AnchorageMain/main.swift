print("anchorage: under construction")
