"""Reviews: async feedback on a retrospective (threads anchored to passages), and the review process."""
