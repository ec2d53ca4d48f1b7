package seed

// The vocabulary of the made-up company: people, teams, places and what they talk
// about. Values that are put into post text contain no Markdown syntax, so a post
// renders like its template (text.go checks that).

var firstNames = []string{
	"Amélie", "Antoine", "Camille", "Chloé", "Élodie", "Étienne", "François", "Hélène", "Inès", "Jérôme",
	"Julien", "Léa", "Louis", "Lucie", "Manon", "Mathieu", "Nicolas", "Océane", "Pauline", "Théo",
	"Thomas", "Valérie", "Yannick", "Zoé", "Aurélien", "Céline", "Gaëlle", "Noémie", "Raphaël", "Sébastien",
	"Emma", "Oliver", "James", "Sophie", "Charlotte", "Henry", "Grace", "Jack", "Olivia", "William",
	"Hannah", "Daniel", "Laura", "Michael", "Sarah", "David", "Emily", "Ryan", "Megan", "Ethan",
	"Lukas", "Anna", "Felix", "Jonas", "Lena", "Mia", "Paul", "Jana", "Maximilian", "Sofia",
	"Lucía", "Javier", "Carmen", "Diego", "Marta", "Pablo", "Alejandro", "Isabel", "Giulia", "Marco",
	"Francesca", "Luca", "Chiara", "Matteo", "João", "Beatriz", "Tiago", "Inês", "Raj", "Priya",
	"Arjun", "Ananya", "Vikram", "Deepa", "Wei", "Mei", "Jun", "Yuki", "Haruto", "Sakura",
	"Min-jun", "Ji-woo", "Omar", "Fatima", "Youssef", "Amina", "Kwame", "Ama", "Chidi", "Ngozi",
	"Aleksander", "Zofia", "Piotr", "Ingrid", "Lars", "Astrid", "Nils", "Freya", "Mateo", "Valentina",
}

var lastNames = []string{
	"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
	"Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
	"Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
	"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
	"Walker", "Evans", "Roberts", "Green", "Hall", "Wood", "Clarke", "Hughes", "Müller", "Schmidt",
	"Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Schäfer", "López", "González",
	"Rodríguez", "Fernández", "Sánchez", "Pérez", "Gómez", "Díaz", "Rossi", "Russo", "Ferrari", "Esposito",
	"Bianchi", "Romano", "Colombo", "Silva", "Santos", "Ferreira", "Costa", "Sharma", "Singh", "Kumar",
	"Iyer", "Reddy", "Nair", "Wang", "Li", "Zhang", "Chen", "Liu", "Tanaka", "Suzuki",
	"Sato", "Kim", "Park", "Lee", "Haddad", "Benali", "Mensah", "Okafor", "Nowak", "Kowalski",
	"Johansson", "Andersen", "Nielsen", "Larsen", "Virtanen", "O'Brien", "Murphy", "Kelly", "Novak", "Horvat",
}

// department is a team, how big a share of the company it is and the jobs in it.
type department struct {
	name   string
	weight float64
	titles []string
}

var departments = []department{
	{"Engineering", 25, []string{"Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager", "Site Reliability Engineer", "QA Engineer", "Frontend Developer", "Backend Developer"}},
	{"Product", 6, []string{"Product Manager", "Senior Product Manager", "Product Owner", "Head of Product"}},
	{"Design", 4, []string{"Product Designer", "UX Researcher", "UI Designer", "Design Lead"}},
	{"Data", 4, []string{"Data Analyst", "Data Engineer", "Data Scientist", "Analytics Lead"}},
	{"Sales", 15, []string{"Account Executive", "Sales Development Representative", "Key Account Manager", "Sales Director", "Solutions Engineer"}},
	{"Customer Success", 12, []string{"Customer Success Manager", "Support Specialist", "Support Team Lead", "Onboarding Specialist"}},
	{"Marketing", 8, []string{"Content Marketer", "Product Marketing Manager", "Growth Marketer", "Events Manager", "Brand Designer"}},
	{"Operations", 8, []string{"Operations Manager", "Office Manager", "Procurement Specialist", "Business Analyst"}},
	{"Finance", 5, []string{"Accountant", "Financial Controller", "FP&A Analyst", "Payroll Specialist"}},
	{"People", 4, []string{"HR Business Partner", "Recruiter", "Talent Acquisition Lead", "People Operations Specialist"}},
	{"Legal", 2, []string{"Legal Counsel", "Compliance Officer", "Privacy Officer"}},
	{"IT", 4, []string{"IT Support Technician", "Systems Administrator", "IT Manager"}},
	{"Security", 3, []string{"Security Engineer", "Security Analyst", "CISO"}},
}

// leaders are given to the most followed people of a large enough hive.
var leaders = []struct{ title, dept string }{
	{"Chief Executive Officer", "Operations"}, {"Chief Technology Officer", "Engineering"},
	{"Chief Financial Officer", "Finance"}, {"VP Sales", "Sales"}, {"Chief Operating Officer", "Operations"},
	{"VP Engineering", "Engineering"}, {"Head of People", "People"}, {"Chief Marketing Officer", "Marketing"},
}

var locations = []string{
	"Paris", "Paris", "Paris", "Lyon", "Nantes", "Bordeaux", "Lille", "Toulouse", "Berlin", "London",
	"Madrid", "Barcelona", "Milan", "Lisbon", "Amsterdam", "Montréal", "New York", "Bangalore", "Singapore", "Remote",
}

var hobbies = []string{
	"Coffee snob.", "Runs marathons, slowly.", "Board games on Fridays.", "Amateur photographer.",
	"Learning Japanese.", "Climbs on weekends.", "Two cats and too many plants.", "Bakes sourdough.",
	"Cyclist, rain or shine.", "Bookworm.", "Plays bass in a cover band.", "Ask me about sci-fi.",
	"Proud parent of twins.", "Volunteer firefighter.", "Chess, badly.", "Hikes whenever possible.",
}

var projects = []string{
	"Atlas", "Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
	"Keystone", "Lumen", "Meridian", "Nimbus", "Orion", "Pioneer", "Quartz", "Redwood", "Sierra", "Tundra",
}

var clients = []string{
	"Acme", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Wayne Retail", "Hooli", "Vandelay Imports",
	"Soylent Foods", "Cyberdyne", "Tyrell Energy", "Wonka Industries", "Oceanic Airlines", "Pied Piper",
	"Monarch Bank", "Brown & Green", "Nakatomi Trading", "Aperture Labs", "Massive Dynamic", "Blue Sun",
}

var features = []string{
	"the billing export", "single sign-on", "the new dashboard", "dark mode", "the mobile app", "bulk import",
	"the search page", "audit logs", "the onboarding flow", "two-factor login", "the reporting API",
	"offline sync", "the invoice editor", "role-based access", "the calendar integration",
}

var tools = []string{
	"Kubernetes", "Jenkins", "GitLab", "Terraform", "Postgres", "Grafana", "Jira", "Salesforce", "Figma",
	"Snowflake", "Kafka", "Redis", "the VPN", "the wiki", "the CI",
}

var weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}

var rooms = []string{
	"Everest", "Kilimanjaro", "the Atrium", "Fuji", "Aconcagua", "the rooftop", "Denali", "the library",
	"Mont Blanc", "the big kitchen",
}

var eventTitles = []string{
	"All-hands", "Lunch and learn", "Launch party", "Quarterly town hall", "Security awareness training",
	"Summer barbecue", "Hackathon kick-off", "Book club", "Customer day", "Wellbeing workshop", "Demo day",
	"New joiners breakfast",
}

// tagWords are the tags, most used first: their use falls off like Zipf's law.
var tagWords = []string{
	"release", "kudos", "welcome", "incident", "hiring", "roadmap", "customer", "allhands", "security", "til",
	"atlas", "remote", "lunchandlearn", "onboarding", "design", "sales", "devops", "data", "beacon", "coffee",
	"teamwork", "api", "docs", "mobile", "ux", "performance", "offsite", "hackathon", "postmortem", "outage",
	"q1planning", "q2planning", "q3planning", "q4planning", "okr", "retro", "sprint", "demo", "launch", "beta",
	"feedback", "bugs", "qa", "infra", "cloud", "kubernetes", "terraform", "postgres", "frontend", "backend",
	"golang", "python", "typescript", "react", "marketing", "events", "webinar", "conference", "travel", "office",
	"paris", "lyon", "berlin", "london", "madrid", "montreal", "wellbeing", "sustainability", "diversity", "volunteering",
	"accessibility", "billing", "partners", "training", "benefits", "payroll", "legal", "gdpr", "compliance", "ai",
	"analytics", "cobalt", "ember", "falcon", "granite", "harbor", "iris", "juniper", "keystone", "lumen",
	"meridian", "nimbus", "orion", "pioneer", "quartz", "redwood", "sierra", "tundra", "bookclub", "running",
	"cycling", "music", "photos", "pets", "food", "books", "movies", "football", "rugby", "climbing",
}

var presences = []struct{ emoji, text string }{
	{"🗓️", "In a meeting"}, {"🏠", "Remote today"}, {"🌴", "On holiday"}, {"🤒", "Out sick"},
	{"🚆", "Commuting"}, {"🎧", "Focus time, async please"}, {"✈️", "Travelling"}, {"🍽️", "Lunch"},
}

var spoilers = []string{"Long post", "Rant", "Spoilers: last night's match", "Work drama, sort of", "Politics-adjacent"}

// groupTheme is a group people might start: company-wide interests and guilds, and
// (made up from the lists above in groups.go) offices, teams, projects and clients.
type groupTheme struct{ handle, name, description string }

// openThemes are for everyone, from anywhere in the company.
var openThemes = []groupTheme{
	{"watercooler", "Watercooler", "Anything and everything that is not work. Be kind."},
	{"it_help", "IT help desk", "Ask IT anything: laptops, access, the VPN. Someone usually answers within the hour."},
	{"new_joiners", "New joiners", "Questions from people in their first months, answered by everyone."},
	{"social_club", "Social club", "After-work drinks, games nights and outings."},
	{"parents", "Parents", "Childcare tips, school holidays and moral support."},
	{"remote_workers", "Remote workers", "For everyone who works away from an office, most days or some."},
	{"book_club", "Book club", "One book a month, discussed on the last Thursday."},
	{"running_club", "Running club", "Lunchtime runs, race sign-ups and too much talk about shoes."},
	{"bike_to_work", "Bike to work", "Routes, repairs and rain gear."},
	{"photography", "Photography", "Share your shots and the stories behind them."},
	{"board_games", "Board games", "Friday games nights and recommendations."},
	{"musicians", "Musicians", "Jam sessions, gear talk and the office band."},
	{"climbing", "Climbing", "Bouldering after work, trips at weekends."},
	{"pets", "Pets of the hive", "Photos of cats, dogs and the occasional tortoise. Mandatory."},
	{"cooking", "Cooking", "Recipes, lunchbox ideas and the yearly bake-off."},
	{"green_team", "Green team", "Making the company greener, one office at a time."},
	{"inclusion", "Diversity and inclusion", "Conversations and initiatives for a company where everyone belongs."},
	{"volunteering", "Volunteering", "Volunteer days, charity runs and causes we support."},
	{"wellbeing", "Wellbeing", "Mental health, ergonomics and taking breaks."},
	{"ai_guild", "AI guild", "Experiments, papers and tools around machine learning."},
	{"frontend_guild", "Frontend guild", "Everything that runs in a browser."},
	{"security_champions", "Security champions", "One champion per team; questions about keeping us safe."},
	{"data_guild", "Data guild", "Dashboards, pipelines and questions about numbers."},
	{"managers", "Managers' circle", "Peer support for people who manage people."},
	{"public_speaking", "Public speaking", "Practice talks, conference submissions and feedback."},
	{"languages", "Language exchange", "Practise French, English, Spanish and more over coffee."},
	{"football", "Five-a-side football", "Weekly games; all levels welcome."},
	{"movies", "Film club", "What to watch, and what to avoid."},
	{"mentoring", "Mentoring", "Find a mentor or become one."},
	{"accessibility", "Accessibility", "Making our products and offices work for everyone."},
}

// confidentialThemes are the groups few people know of.
var confidentialThemes = []groupTheme{
	{"leadership", "Leadership team", "Strategy, staffing and the decisions before they are announced."},
	{"reorg_planning", "Reorganisation planning", "Confidential until the announcement."},
	{"acquisition", "Project Lighthouse", "The acquisition under discussion. Strictly need to know."},
	{"comp_review", "Compensation review", "The yearly salary review. Confidential."},
	{"board_prep", "Board meeting preparation", "Decks and numbers for the next board meeting."},
	{"hiring_committee", "Hiring committee", "Candidate debriefs and offers."},
	{"sev1_war_room", "Incident war room", "Only for major incidents; invite the people who can help."},
	{"works_council", "Works council", "Elected staff representatives."},
	{"legal_matters", "Legal matters", "Disputes and contracts under review."},
	{"security_response", "Security response", "Vulnerability reports and their fixes, before disclosure."},
}

// squads are the smaller teams inside a project.
var squads = []string{"core", "launch", "ops", "design", "api", "mobile"}

// groupTexts are written in groups: to colleagues who share a team, a project or an
// interest.
var groupTexts = []string{
	"Notes from today's sync are in the doc: https://docs.example.com/{s}",
	"Who can take the {k} on-call shift on {w}?",
	"Status update: {f} is {n}% done, demo on {w} in {r}.",
	"Reminder: we meet on {w} at {n}:00 in {r}. Agenda in the pinned post.",
	"Has anyone here tried {k} for {p}? Looking for opinions before we commit.",
	"The draft for {c} is ready for review: https://docs.example.com/{s}",
	"Welcome to the {n} people who joined this month! Introduce yourselves below 👋",
	"Decision: we go with {k} for {p}. Thanks for all the input.",
	"Lunch on {w}? Meet at {r} at 12:30.",
	"Question for the group: how do you handle {f} with {c}?",
	"Photos from the last meetup are up: https://photos.example.com/{s} 📸",
	"Quick poll for {w}: in person in {r}, or online? 👍 / 👎",
	"Reading this week: https://blog.example.com/{s} (worth the ten minutes).",
	"@{m1} can you share the slides from {w}?",
	"Thanks @{m1} for organising the {p} retro 🙏",
	"@{m1} and @{m2} will pair on {f} this week; questions to them.",
	"**Action items** from {w}:\n\n- @{m1} follows up with {c}\n- update the {p} board\n- next sync in {r}",
}
