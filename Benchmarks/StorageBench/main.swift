print("storage bench")
