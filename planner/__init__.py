"""The what-if planner: districts try assignment changes and lotteries before they propose them."""
